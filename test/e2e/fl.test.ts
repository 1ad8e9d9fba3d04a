// Federated learning on three real node processes: each node holds the link history of one network type
// (small fixtures), `fl start` on a node that is not the leader reaches the coordinator, two rounds
// publish two versions, and every node holds the same ONNX file for each (same sha256).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cpSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanup, cli, json, killPid, tempDir, waitUntil } from './helpers.ts'
import { client, runtimeAdmin, type DevnetNode } from './cluster.ts'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'fl-bandwidth')

describe('federated learning across three nodes', () => {
  let dir = ''
  let nodes: DevnetNode[] = []
  before(async () => {
    dir = tempDir('nc-fl-e2e-')
    const up = await cli(['devnet', 'up', '--nodes', '3', '--dir', dir, '--json'])
    assert.equal(up.code, 0, up.stderr)
    nodes = json(up).nodes
    // Each node's recorded link history: one network type per node, so the data are non-IID.
    nodes.forEach((n, i) => cpSync(join(fixtures, ['fcc', 'oboe', '5gophers'][i]), join(n.dataDir, 'fl', 'links'), { recursive: true }))
  })
  after(async () => {
    if (dir !== '') await cli(['devnet', 'down', '--dir', dir])
    cleanup()
  })

  it('completes two rounds and every node agrees on the published model\'s hash', async () => {
    const leader = (await client(nodes[0]).status()).leader as string
    const other = nodes.find(n => n.id !== leader) as DevnetNode
    const flags = (n: DevnetNode): string[] => ['--node', runtimeAdmin(n), '--token-file', join(n.dataDir, 'admin.token')]
    const start = await cli(['fl', 'start', '--rounds', '2', '--policy', 'full', '--deadline', '60000', '--json', ...flags(other)])
    assert.equal(start.code, 0, start.stderr)
    assert.deepEqual(json(start), { coordinator: leader, started: true })
    const histories = await waitUntil('two published versions on every node', 180_000, async () => {
      const all = await Promise.all(nodes.map(async n => await client(n).request<any[]>('GET', '/v1/fl/history')))
      return all.every(h => h.length >= 2) ? all : null
    })
    const coordinator = histories[nodes.findIndex(n => n.id === leader)]
    for (const v of coordinator) {
      assert.equal(v.updates, 3, `version ${v.version}: all three nodes trained`)
      console.log(`# fl e2e: version ${v.version} round ${v.round} took ${v.roundMs} ms, ${v.bytes} bytes, sha256 ${v.sha256.slice(0, 16)}`)
    }
    for (const [i, h] of histories.entries()) {
      assert.deepEqual(h.map(v => v.sha256), coordinator.map(v => v.sha256), `${nodes[i].id.slice(-6)} agrees on the hashes`)
      for (const v of h) {
        const file = readFileSync(join(nodes[i].dataDir, 'fl', 'models', `bandwidth-fl-v${v.version}.onnx`))
        assert.equal(createHash('sha256').update(file).digest('hex'), v.sha256)
      }
    }
    // The versions are in the replicated state too: every node's committed kv has the same hashes.
    for (const v of coordinator) {
      const key = `fl/model/${String(v.version).padStart(6, '0')}`
      const got = await waitUntil(`${key} committed on every node`, 30_000, async () => {
        const all = await Promise.all(nodes.map(async n => await client(n).request<{ value: string | null }>('GET', `/v1/kv/get?key=${encodeURIComponent(key)}`)))
        return all.every(g => g.value != null) ? all : null
      })
      for (const g of got) assert.equal(JSON.parse(g.value as string).sha256, v.sha256)
    }
    const status = await cli(['fl', 'status', '--json', ...flags(other)])
    assert.equal(status.code, 0, status.stderr)
    assert.equal(json(status).coordinator, leader)
    const table = await cli(['fl', 'history', ...flags(nodes[0])])
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /version\s+round/)
    const bad = await cli(['fl', 'start', '--rounds', '0', ...flags(other)])
    assert.equal(bad.code, 2, 'a bad flag is a usage error')
    for (const body of [{ rounds: 'x' }, { rounds: 1, policy: 'best' }, { rounds: 1, deadlineMs: 1e9 }]) {
      await assert.rejects(client(other).request('POST', '/v1/fl/start', body), /400|must be/, JSON.stringify(body))
    }
  })

  it('a node that stops answering mid-round does not hold the round past its deadline', async () => {
    const leader = (await client(nodes[0]).status()).leader as string
    const coord = nodes.find(n => n.id === leader) as DevnetNode
    const frozen = nodes.find(n => n.id !== leader) as DevnetNode
    const before = (await client(coord).request<any[]>('GET', '/v1/fl/history')).length
    killPid(frozen.pid, 'SIGSTOP')
    try {
      const t0 = Date.now()
      const start = await client(coord).request<{ started: boolean }>('POST', '/v1/fl/start', { rounds: 1, policy: 'full', deadlineMs: 4000 })
      assert.equal(start.started, true)
      const h = await waitUntil('the round to close without the frozen node', 60_000, async () => {
        const all = await client(coord).request<any[]>('GET', '/v1/fl/history')
        return all.length > before ? all : null
      })
      const v = h[h.length - 1]
      assert.equal(v.updates, 2, 'the two live nodes trained')
      assert.deepEqual([...v.late, ...v.failed], [frozen.id], 'the frozen node is reported late or failed')
      // The round closed and published while the node was still frozen: it never answered, and nothing waited for it.
      console.log(`# fl e2e: a round with a frozen node collected for ${v.collectMs} ms (deadline 4000 ms), ${v.roundMs} ms with publication, ${Date.now() - t0} ms from start`)
    } finally {
      killPid(frozen.pid, 'SIGCONT')
    }
  })
})
