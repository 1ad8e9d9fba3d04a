// Bullshark on a 4-node devnet of real processes: 1,000 puts sent to different nodes commit with identical
// state roots; kill -9 and restart of a node under load loses nothing acknowledged; a node stopped while the
// others move past the garbage-collection depth catches up by state transfer and rejoins the DAG.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { killPid, metricValue } from './helpers.ts'
import { assertAllHave, client, converged, crashUnderLoad, devnetSuite, load, restart, runtimeAdmin, token, type DevnetNode } from './cluster.ts'

describe('Bullshark on a 4-node devnet', () => {
  const devnet = devnetSuite('nc-bullshark-', ['--protocol', 'bullshark', '--param', 'checkpointInterval=4', '--param', 'gcDepth=10', '--param', 'maxHeaderDelayMs=100', '--param', 'batchDelayMs=10'])
  let nodes: DevnetNode[]
  before(() => { nodes = devnet.nodes })

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
    const acked = await crashUnderLoad(nodes, nodes[2], 'crash')
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
