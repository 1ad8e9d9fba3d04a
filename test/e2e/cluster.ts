// A devnet seen as a client does: admin clients from each node's data dir, puts spread over nodes, and
// the checks the consensus suites share (convergence, every acknowledged put present, restarts).
import assert from 'node:assert/strict'
import { after, before } from 'node:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AdminClient } from '../../src/api/client.ts'
import { background, cleanup, cli, json, killPid, StopWaiting, tempDir, waitUntil } from './helpers.ts'

export interface DevnetNode { id: string, admin: string, listen: string, dataDir: string, pid: number }

export const token = (n: { dataDir: string }): string => readFileSync(join(n.dataDir, 'admin.token'), 'utf8').trim()
/** The admin URL of the node's current process (a restarted node has a new port). */
export const runtimeAdmin = (n: { dataDir: string }): string => JSON.parse(readFileSync(join(n.dataDir, 'node.json'), 'utf8')).admin
export const client = (n: DevnetNode): AdminClient => new AdminClient({ url: runtimeAdmin(n), token: token(n), timeoutMs: 30_000 })

export async function put (n: DevnetNode, key: string, value: string): Promise<{ height: number }> {
  return await client(n).request('POST', '/v1/kv/put', { key, value, timeoutMs: 20_000 }, 'json', 30_000)
}

/** Sends `count` puts spread over `targets`, `concurrency` at a time; returns the acknowledged ones. */
export async function load (targets: DevnetNode[], prefix: string, count: number, concurrency = 32): Promise<Map<string, string>> {
  const acked = new Map<string, string>()
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++
      const key = `${prefix}/${i}`
      // Like a real client, retry once on another node (a put of the same value is idempotent); what is
      // never acknowledged (the node was killed, or it timed out) is simply not counted.
      for (const attempt of [0, 1]) {
        try {
          await put(targets[(i + attempt) % targets.length], key, `v${i}`)
          acked.set(key, `v${i}`)
          break
        } catch { await sleep(500) }
      }
    }
  }))
  return acked
}

export const statuses = async (nodes: DevnetNode[]): Promise<any[]> => await Promise.all(nodes.map(n => client(n).status()))

export async function converged (nodes: DevnetNode[], timeoutMs = 60_000): Promise<any[]> {
  return await waitUntil('every node to reach the same height and state root', timeoutMs, async () => {
    const all = await statuses(nodes)
    return all.every(s => s.height === all[0].height && s.stateRoot === all[0].stateRoot && s.mempool === 0) ? all : null
  })
}

export async function assertAllHave (nodes: DevnetNode[], acked: Map<string, string>): Promise<void> {
  for (const n of nodes) {
    const entries = new Map<string, string>()
    let after = ''
    for (;;) {
      const page = await client(n).request<{ entries: Array<{ key: string, value: string }> }>('GET', `/v1/kv/list?limit=5000${after !== '' ? `&after=${encodeURIComponent(after)}` : ''}`)
      for (const e of page.entries) entries.set(e.key, e.value)
      if (page.entries.length < 5000) break
      after = page.entries.at(-1)!.key
    }
    for (const [k, v] of acked) assert.equal(entries.get(k), v, `${n.id.slice(-6)} has acknowledged ${k}`)
  }
}

/** Starts the node again from its data dir alone and waits until its admin API answers. */
export async function restart (n: DevnetNode): Promise<void> {
  const child = background(['node', 'start', '--data-dir', n.dataDir, '--admin', '127.0.0.1:0'])
  await waitUntil(`${n.id.slice(-6)} to restart`, 30_000, async () => {
    // A node that exits (a crash on start or on catch-up) fails at once, with what it printed.
    if (child.exitCode != null || child.signalCode != null) throw new StopWaiting(`${n.id.slice(-6)} exited (${child.exitCode ?? child.signalCode}) after its restart:\n${child.output().slice(-4000)}`)
    const rt = JSON.parse(readFileSync(join(n.dataDir, 'node.json'), 'utf8'))
    if (rt.pid !== child.pid) return null
    await client(n).status()
    return true
  })
  n.pid = child.pid!
}

/**
 * A devnet of `count` nodes (4 unless said) for one describe block: started before its tests with `args` added to `devnet up`,
 * taken down after. Read `nodes` inside tests (it is filled in by then).
 */
export function devnetSuite (prefix: string, args: string[], count = 4): { nodes: DevnetNode[] } {
  const suite = { nodes: [] as DevnetNode[] }
  let dir: string | null = null
  before(async () => {
    dir = tempDir(prefix)
    const up = await cli(['devnet', 'up', '--nodes', String(count), '--dir', dir, '--json', ...args])
    assert.equal(up.code, 0, up.stderr)
    suite.nodes = json(up).nodes
  })
  after(async () => {
    if (dir != null) await cli(['devnet', 'down', '--dir', dir])
    cleanup()
  })
  return suite
}

/** Kills `victim` with SIGKILL while `count` puts go to the other nodes, then starts it again from its data
 *  dir: the puts acknowledged meanwhile (the consensus suites' crash-under-load step). */
export async function crashUnderLoad (nodes: DevnetNode[], victim: DevnetNode, prefix: string, count = 300, concurrency = 16): Promise<Map<string, string>> {
  const running = load(nodes.filter(n => n !== victim), prefix, count, concurrency)
  await sleep(300)
  killPid(victim.pid, 'SIGKILL')
  const acked = await running
  await restart(victim)
  return acked
}

/** Every node at or past the highest height any node shows now, with one state root at that height: agreement
 *  checked without waiting for a quiet cluster (on a ProBFT devnet the nodes' heartbeats keep a block in
 *  flight most of the time, so `converged`'s empty mempools everywhere at once rarely happen). A node that
 *  caught up by state transfer has no log rows for the heights it installed, only its head: its root at a
 *  height is its log row there, or its head's root while it stands at exactly that height; when some node has
 *  neither (it transferred past the height), the check moves to the new top instead of comparing nothing. */
export async function oneRootAtTop (nodes: DevnetNode[], timeoutMs = 60_000): Promise<{ height: number, stateRoot: string }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const height = Math.max(...(await statuses(nodes)).map(s => s.height))
    await waitUntil(`every node to reach height ${height}`, Math.max(1, deadline - Date.now()), async () => (await statuses(nodes)).every(s => s.height >= height) ? true : null)
    const roots = await Promise.all(nodes.map(async n => await rootAt(n, height)))
    if (roots.every(r => r !== undefined)) {
      assert.equal(new Set(roots).size, 1, `state roots at height ${height}: ${roots.join(', ')}`)
      return { height, stateRoot: roots[0] }
    }
    if (Date.now() > deadline) assert.fail(`no height at which every node knows its state root within ${timeoutMs} ms (last tried ${height}: ${roots.map(r => r ?? 'transferred past it').join(', ')})`)
    await sleep(200)
  }
}

async function rootAt (n: DevnetNode, height: number): Promise<string | undefined> {
  const [row] = await client(n).request<Array<{ height: number, stateRoot: string }>>('GET', `/v1/log?from=${height}&limit=1`)
  if (row?.height === height) return row.stateRoot
  const s = await client(n).status() as { height: number, stateRoot: string }
  return s.height === height ? s.stateRoot : undefined
}
