// Bullshark on a 4-node devnet of real processes: 1,000 puts sent to different nodes commit with identical
// state roots; kill -9 and restart of a node under load loses nothing acknowledged; a node stopped while the
// others move past the garbage-collection depth catches up by state transfer and rejoins the DAG.
// (The small client helpers mirror test/e2e/consensus.test.ts; they belong in helpers.ts once shared.)
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AdminClient } from '../../src/api/client.ts'
import { background, cleanup, cli, json, killPid, metricValue, tempDir, waitUntil } from './helpers.ts'

interface DevnetNode { id: string, admin: string, listen: string, dataDir: string, pid: number }

const token = (n: { dataDir: string }): string => readFileSync(join(n.dataDir, 'admin.token'), 'utf8').trim()
const runtimeAdmin = (n: { dataDir: string }): string => JSON.parse(readFileSync(join(n.dataDir, 'node.json'), 'utf8')).admin
const client = (n: DevnetNode): AdminClient => new AdminClient({ url: runtimeAdmin(n), token: token(n), timeoutMs: 30_000 })

async function load (targets: DevnetNode[], prefix: string, count: number, concurrency = 32): Promise<Map<string, string>> {
  const acked = new Map<string, string>()
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++
      const key = `${prefix}/${i}`
      try {
        await client(targets[i % targets.length]).request('POST', '/v1/kv/put', { key, value: `v${i}`, timeoutMs: 20_000 }, 'json', 30_000)
        acked.set(key, `v${i}`)
      } catch { /* not acknowledged (the node was killed or timed out): only acknowledged puts count */ }
    }
  }))
  return acked
}

const statuses = async (nodes: DevnetNode[]): Promise<any[]> => await Promise.all(nodes.map(n => client(n).status()))

async function converged (nodes: DevnetNode[], timeoutMs = 60_000): Promise<any[]> {
  return await waitUntil('every node to reach the same height and state root', timeoutMs, async () => {
    const all = await statuses(nodes)
    return all.every(s => s.height === all[0].height && s.stateRoot === all[0].stateRoot && s.mempool === 0) ? all : null
  })
}

async function assertAllHave (nodes: DevnetNode[], acked: Map<string, string>): Promise<void> {
  for (const n of nodes) {
    const entries = new Map<string, string>()
    let from = ''
    for (;;) {
      const page = await client(n).request<{ entries: Array<{ key: string, value: string }> }>('GET', `/v1/kv/list?limit=5000${from !== '' ? `&after=${encodeURIComponent(from)}` : ''}`)
      for (const e of page.entries) entries.set(e.key, e.value)
      if (page.entries.length < 5000) break
      from = page.entries.at(-1)!.key
    }
    for (const [k, v] of acked) assert.equal(entries.get(k), v, `${n.id.slice(-6)} has acknowledged ${k}`)
  }
}

async function restart (n: DevnetNode): Promise<void> {
  const child = background(['node', 'start', '--data-dir', n.dataDir, '--admin', '127.0.0.1:0'])
  await waitUntil(`${n.id.slice(-6)} to restart`, 30_000, async () => {
    const rt = JSON.parse(readFileSync(join(n.dataDir, 'node.json'), 'utf8'))
    if (rt.pid !== child.pid) return null
    await client(n).status()
    return true
  })
  n.pid = child.pid!
}

describe('Bullshark on a 4-node devnet', () => {
  let dir: string
  let nodes: DevnetNode[]

  before(async () => {
    dir = tempDir('nc-bullshark-')
    const up = await cli(['devnet', 'up', '--nodes', '4', '--protocol', 'bullshark', '--dir', dir, '--json',
      '--param', 'checkpointInterval=4', '--param', 'gcDepth=10', '--param', 'maxHeaderDelayMs=100', '--param', 'batchDelayMs=10'])
    assert.equal(up.code, 0, up.stderr)
    nodes = json(up).nodes
  })

  after(async () => {
    if (dir != null) await cli(['devnet', 'down', '--dir', dir])
    cleanup()
  })

  test('1,000 puts sent to different nodes commit with identical state roots everywhere', async () => {
    const started = Date.now()
    const acked = await load(nodes, 'bulk', 1000)
    assert.equal(acked.size, 1000, 'every put acknowledged')
    const all = await converged(nodes)
    console.log(`# 1,000 puts committed in ${Date.now() - started} ms; height ${all[0].height}`)
    await assertAllHave(nodes, acked)
    const s = await client(nodes[0]).status() as any
    assert.equal(s.protocol, 'bullshark')
  })

  test('kill -9 and restart of a node under load: nothing acknowledged is lost', async () => {
    const victim = nodes[2]
    const survivors = nodes.filter(n => n !== victim)
    const phase = load(survivors, 'crash', 300, 16)
    await sleep(300)
    killPid(victim.pid, 'SIGKILL')
    const acked = await phase
    await restart(victim)
    const more = await load(nodes, 'after-crash', 50)
    assert.ok(acked.size > 0 && more.size === 50)
    await converged(nodes, 90_000)
    await assertAllHave(nodes, new Map([...acked, ...more]))
  })

  test('a node stopped past the gc depth catches up by state transfer and rejoins the DAG', async () => {
    const lagging = nodes[1]
    killPid(lagging.pid, 'SIGKILL')
    const others = nodes.filter(n => n !== lagging)
    // Few puts in flight at a time: many small commits, so the others checkpoint and collect far past it.
    const acked = await load(others, 'behind', 300, 4)
    assert.equal(acked.size, 300)
    await restart(lagging)
    await load(others, 'after', 100, 4)
    await converged(nodes, 90_000)
    const installed = await metricValue(runtimeAdmin(lagging), token(lagging), 'novacron_snapshots_installed_total')
    assert.ok(installed >= 1, `the restarted node installed a snapshot (${installed})`)
    await assertAllHave([lagging], acked)
    // Rejoined: it proposes again, so puts sent to it commit.
    const mine = await load([lagging], 'rejoined', 20, 4)
    assert.equal(mine.size, 20)
  })
})
