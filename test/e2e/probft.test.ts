// ProBFT on a 7-node devnet of real processes (ECVRF-sampled votes): 1,000 puts sent to different nodes
// commit with one state root; kill -9 and restart of a node under load loses nothing acknowledged; status
// shows the quorum, the sample size and the last decision's vote counts.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { killPid } from './helpers.ts'
import { assertAllHave, client, converged, devnetSuite, load, restart, type DevnetNode } from './cluster.ts'

describe('ProBFT on a 7-node devnet', () => {
  const devnet = devnetSuite('nc-probft-', ['--nodes', '7', '--protocol', 'probft', '--param', 'checkpointInterval=16', '--param', 'batchDelayMs=5', '--param', 'viewChangeTimeoutMs=20000'])
  let nodes: DevnetNode[]
  before(() => { nodes = devnet.nodes })

  test('1,000 puts sent to different nodes commit with one state root; status shows q and the sample', async () => {
    assert.equal(nodes.length, 7)
    const acked = await load(nodes, 'bulk', 1000)
    assert.equal(acked.size, 1000, 'every put acknowledged')
    const all = await converged(nodes, 120_000)
    assert.equal(new Set(all.map((s) => s.stateRoot)).size, 1, 'one state root')
    await assertAllHave(nodes, acked)
    const s = await client(nodes[0]).status() as any
    assert.equal(s.protocol, 'probft')
    // n = 7, l = 1.5, o = 2: q = ceil(1.5 sqrt 7) = 4, sample min(7, 8) = 7.
    assert.equal(s.protocolExtra.q, 4)
    assert.equal(s.protocolExtra.sampleSize, 7)
    assert.ok(s.protocolExtra.lastCommitVotes >= 4, `the last decision counted ${s.protocolExtra.lastCommitVotes} commits`)
  })

  test('kill -9 and restart of a node under load: nothing acknowledged is lost, one state root', async () => {
    const victim = nodes[3]
    const survivors = nodes.filter(n => n !== victim)
    const phase = load(survivors, 'crash', 300, 16)
    await sleep(300)
    killPid(victim.pid, 'SIGKILL')
    const acked = await phase
    await restart(victim)
    const more = await load(nodes, 'after-crash', 50)
    assert.ok(acked.size > 0 && more.size === 50)
    const all = await converged(nodes, 120_000)
    assert.equal(new Set(all.map((s) => s.stateRoot)).size, 1, 'one state root')
    await assertAllHave(nodes, new Map([...acked, ...more]))
  })
})
