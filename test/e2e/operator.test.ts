// Operators' habits on one shared 4-node devnet (checkpoint every 8 heights, so state transfer is quick):
// a node restarted by hand with only --data-dir keeps its addresses and `devnet down` still stops it;
// `devnet restart NODE` and `node stop`; a backup taken under load restores on a fresh data dir, and the
// restored node catches up to the same root as the others.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { background, cleanup, cli, json, tempDir, waitUntil } from './helpers.ts'
import { assertAllHave, client, converged, load, put, runtimeAdmin, type DevnetNode } from './cluster.ts'
import { isAlive as alive } from '../../src/node/data-dir.ts'


describe('operator workflows on a shared devnet', () => {
  let dir = ''
  let nodes: DevnetNode[] = []
  const handStarted: number[] = []

  before(async () => {
    dir = tempDir('nc-e2e-operator-')
    const up = await cli(['devnet', 'up', '--nodes', '4', '--dir', dir, '--json', '--param', 'checkpointInterval=8', '--log-level', 'warn'])
    assert.equal(up.code, 0, up.stderr)
    nodes = json(up).nodes
  })
  after(async () => {
    if (dir !== '') await cli(['devnet', 'down', '--dir', dir])
    cleanup()
  })

  test('node stop, then a restart by hand with only --data-dir binds the same admin and listen addresses', async () => {
    const n = nodes[1]
    const config = JSON.parse(readFileSync(join(n.dataDir, 'config.json'), 'utf8'))
    assert.equal(`http://${config.admin}`, n.admin, 'the first start remembered the admin address the OS picked')
    assert.deepEqual(config.listen, [n.listen])
    const stop = await cli(['node', 'stop', '--data-dir', n.dataDir, '--json'])
    assert.equal(stop.code, 0, stop.stderr)
    assert.deepEqual({ ...json<Record<string, unknown>>(stop), dataDir: undefined }, { dataDir: undefined, pid: n.pid, stopped: true, signal: 'SIGTERM' })
    assert.equal(alive(n.pid), false)
    assert.equal(existsSync(join(n.dataDir, 'node.json')), false, 'a graceful stop removes node.json')
    const again = await cli(['node', 'stop', '--data-dir', n.dataDir, '--json'])
    assert.equal(json(again).stopped, false, 'stopping a stopped node is not an error')

    const child = background(['node', 'start', '--data-dir', n.dataDir, '--log-level', 'warn'])
    handStarted.push(child.pid!)
    await waitUntil('the hand-started node to answer', 30_000, async () => JSON.parse(readFileSync(join(n.dataDir, 'node.json'), 'utf8')).pid === child.pid && await client(n).status())
    assert.equal(runtimeAdmin(n), n.admin, 'same admin address after the restart')
    const s = await client(n).status()
    assert.deepEqual(s.listen.map((a: string) => a.replace(/\/p2p\/.*/, '')), [n.listen])
    const st = await cli(['devnet', 'status', '--dir', dir, '--json'])
    const row = json(st).nodes.find((x: { id: string }) => x.id === n.id)
    assert.equal(row.alive, true)
    assert.equal(row.pid, child.pid, 'devnet status follows the pid in node.json')
  })

  test('devnet restart NODE starts it again from its data dir under a new pid', async () => {
    const n = nodes[2]
    const r = await cli(['devnet', 'restart', 'node-2', '--dir', dir, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const out = json(r)
    assert.deepEqual(out.stopped, [n.pid])
    assert.notEqual(out.pid, n.pid)
    assert.equal(out.admin, n.admin)
    assert.equal(alive(n.pid), false)
    const bad = await cli(['devnet', 'restart', 'node-9', '--dir', dir])
    assert.equal(bad.code, 2, 'an unknown node is a usage error')
    n.pid = out.pid
  })

  test('a backup taken under load restores on a fresh data dir, and the restored node catches up to the same root', async () => {
    const [a, b, c, lost] = nodes
    const loading = load([a, b, c], 'under-load', 300, 8)
    await new Promise(resolve => setTimeout(resolve, 300))
    const file = join(tempDir('nc-e2e-backup-'), 'b.json')
    const created = await cli(['backup', 'create', '--data-dir', lost.dataDir, '--out', file, '--json'])
    assert.equal(created.code, 0, created.stderr)
    const summary = json(created)
    assert.ok(summary.height > 0 && summary.logBatches === summary.height - summary.snapshotHeight)
    const acked = await loading
    const verified = await cli(['backup', 'verify', file, '--json', '--against-node', '--data-dir', a.dataDir])
    assert.equal(verified.code, 0, verified.stderr)
    assert.equal(json(verified).againstNode.matches, true, 'node-0 committed the same root at the backup height')

    // A damaged copy is refused.
    const damaged = join(tempDir('nc-e2e-backup-'), 'bad.json')
    writeFileSync(damaged, readFileSync(file, 'utf8').replace(/"height":(\d+)/, (_m, h) => `"height":${Number(h) + 1}`))
    const bad = await cli(['backup', 'verify', damaged])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /not a valid backup/)

    // The host is lost: its node stops and its data dir is gone; the operator kept its key.
    const key = readFileSync(join(lost.dataDir, 'node.key'), 'utf8')
    const vrfKey = readFileSync(join(lost.dataDir, 'vrf.key'), 'utf8')
    assert.equal((await cli(['devnet', 'stop', '3', '--dir', dir])).code, 0)
    rmSync(lost.dataDir, { recursive: true, force: true })
    const keyFile = join(tempDir('nc-e2e-key-'), 'node-3.key')
    writeFileSync(keyFile, key, { mode: 0o600 })
    const vrfKeyFile = join(tempDir('nc-e2e-key-'), 'node-3.vrf.key')
    writeFileSync(vrfKeyFile, vrfKey, { mode: 0o600 })
    const target = join(tempDir('nc-e2e-restore-'), 'node-3')
    const live = ['--node', a.admin, '--token-file', join(a.dataDir, 'admin.token')]
    const noVrf = await cli(['backup', 'restore', file, '--data-dir', target, '--key', keyFile, '--old-wal-gone', ...live])
    assert.equal(noVrf.code, 2, 'the genesis names the validator\'s VRF key: restore needs it')
    assert.match(noVrf.stderr, /--vrf-key/)
    const refused = await cli(['backup', 'restore', file, '--data-dir', target, '--key', keyFile, '--vrf-key', vrfKeyFile, ...live])
    assert.equal(refused.code, 2, 'reusing a validator key needs --old-wal-gone')
    assert.match(refused.stderr, /--old-wal-gone/)
    // The cluster must move past what the old node may have signed (backup head + 4 checkpoint intervals).
    let height = 0
    for (let i = 0; height <= summary.height + 32; i++) height = (await put(a, `after/${i}`, 'x')).height
    const restore = await cli(['backup', 'restore', file, '--data-dir', target, '--key', keyFile, '--vrf-key', vrfKeyFile, '--old-wal-gone', '--json', ...live])
    assert.equal(restore.code, 0, restore.stderr)
    assert.deepEqual({ role: json(restore).role, nodeId: json(restore).nodeId, height: json(restore).height }, { role: 'validator', nodeId: lost.id, height: summary.height })

    const child = background(['node', 'start', '--data-dir', target, '--admin', '127.0.0.1:0', '--log-level', 'info'])
    const restored = { ...lost, dataDir: target }
    await waitUntil('the restored node to answer', 30_000, async () => existsSync(join(target, 'node.json')) && await client(restored).status())
    // It catches up by state transfer to the next stable checkpoint, so the cluster must keep committing:
    // a write every 200 ms until the restored node stands at the same height and root right after one.
    let i = 0
    await waitUntil('the restored node to catch up with the cluster', 60_000, async () => {
      const { height: h } = await put(a, `catch-up/${i++}`, 'z')
      await new Promise(resolve => setTimeout(resolve, 200))
      const [sa, sr] = [await client(a).status(), await client(restored).status()]
      return sr.height >= h && sr.height === sa.height && sr.stateRoot === sa.stateRoot
    }).catch(async err => {
      for (const n of [a, b, c, restored]) { const st = await client(n).status(); console.log(st.height, st.stateRoot, st.mempool, st.view) }
      console.log(child.output().split('\n').slice(-30).join('\n'))
      throw err
    })
    await converged([a, b, c, restored], 20_000)
    await assertAllHave([restored], acked)
  })

  test('--output table and yaml for the list commands; --json kept; progress stays off stderr in scripts', async () => {
    const [a] = nodes
    const table = await cli(['peers', '--output', 'table', '--data-dir', a.dataDir])
    assert.equal(table.code, 0, table.stderr)
    const [head, ...rows] = table.stdout.trim().split('\n')
    assert.match(head, /^ID\s+ADDR\s+CONNECTED\s+VALIDATOR/)
    assert.equal(rows.length, 3)
    const yaml = await cli(['kv', 'list', '--prefix', 'under-load/', '--limit', '5', '--output', 'yaml', '--data-dir', a.dataDir])
    assert.equal(yaml.code, 0, yaml.stderr)
    const { parse } = await import('yaml')
    const asJson = json(await cli(['kv', 'list', '--prefix', 'under-load/', '--limit', '5', '--json', '--data-dir', a.dataDir]))
    // Heights move between two calls (every host commits a heartbeat every 2 s): the entries must match.
    assert.deepEqual(parse(yaml.stdout).entries, asJson.entries)
    const put = await cli(['kv', 'put', 'quiet', '1', '--data-dir', a.dataDir])
    assert.equal(put.stderr, '', 'no spinner without a terminal')
  })

  test('a context names a node and its token; --context and `context use` pick it for any command', async () => {
    const [a, b] = nodes
    const env = { XDG_CONFIG_HOME: tempDir('nc-e2e-conf-') }
    for (const [name, n] of [['dn-a', a], ['dn-b', b]] as const) {
      const add = await cli(['context', 'add', name, '--node', runtimeAdmin(n), '--token-file', join(n.dataDir, 'admin.token'), '--json'], { env })
      assert.equal(add.code, 0, add.stderr)
    }
    const list = json(await cli(['context', 'list', '--json'], { env }))
    assert.deepEqual(list.contexts.map((c: { name: string, current: boolean }) => [c.name, c.current]), [['dn-a', true], ['dn-b', false]])
    const viaCurrent = json(await cli(['status', '--json'], { env }))
    assert.equal(viaCurrent.nodeId, a.id)
    const viaFlag = json(await cli(['--context', 'dn-b', 'status', '--json'], { env }))
    assert.equal(viaFlag.nodeId, b.id)
    assert.equal((await cli(['context', 'use', 'dn-b'], { env })).code, 0)
    assert.equal(json(await cli(['kv', 'get', 'quiet', '--json'], { env })).value, '1')
    const unknown = await cli(['--context', 'nope', 'status'], { env })
    assert.equal(unknown.code, 2)
  })

  test('devnet down stops every node, the one restarted by hand included', async () => {
    const down = await cli(['devnet', 'down', '--dir', dir, '--json'])
    assert.equal(down.code, 0, down.stderr)
    assert.equal(json(down).stopped.length, 3, 'node-3 was stopped (and replaced by a restored node outside the devnet)')
    for (const pid of [...handStarted, ...nodes.map(n => n.pid)]) await waitUntil(`pid ${pid} to exit`, 15_000, () => !alive(pid))
  })
})
