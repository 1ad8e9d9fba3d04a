// Resends under saturation: a primary whose slot is stuck resends its pre-prepare only to the replicas that
// have not shown they hold it (no prepare or commit from them), and the wait between resends of one slot
// doubles. Before, every stuck slot's whole batch went to every replica every period, so a cluster whose
// slots took longer than a period to commit multiplied its own traffic and slowed further.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { PBFT_TIMERS } from '../../../../src/consensus/pbft/index.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { PbftCluster } from '../../../helpers/pbft-cluster.ts'

const IDS = ['a', 'b', 'c', 'd']

test('a stuck pre-prepare is resent only to replicas that lack it, after 1, 2, 4 and then 8 resend periods', () => {
  const resentTo: Array<{ at: number, to: string[] }> = []
  let now = 0
  const cluster = new PbftCluster(IDS, sha256(new Uint8Array([7])), { batchSize: 2, batchDelayMs: 0, relayDelayMs: 0, checkpointInterval: 8, watermarkWindow: 16, resendIntervalMs: 1000 }, (id, e) => {
    if (id === 'a' && now > 0 && (e.kind === 'send' || e.kind === 'broadcast') && e.msg.msg.type === 'pre-prepare') {
      resentTo.push({ at: now, to: e.kind === 'send' ? [...e.to].sort() : IDS.filter(x => x !== 'a') })
    }
    return 'deliver'
  })
  cluster.start()
  // d never gets the pre-prepare; commits are lost, so the slot stays stuck at everyone.
  cluster.drop = (_from, to, m) => m.msg.type === 'commit' || (m.msg.type === 'pre-prepare' && to === 'd')
  cluster.handle('a', cluster.replica('a').onRequest(makeBatch([new Uint8Array([1, 1]), new Uint8Array([2, 2])]), 0))
  cluster.drain(0)
  for (now = 1000; now <= 16_000; now += 1000) {
    cluster.timer(PBFT_TIMERS.resend, now)
    cluster.drain(now)
  }
  // b and c prepared (a holds their prepares): only d is sent the batch again.
  assert.ok(resentTo.length > 0, 'the stuck slot was resent')
  for (const r of resentTo) assert.deepEqual(r.to, ['d'], `resent at ${r.at} ms to ${r.to.join(',')}`)
  // first heard at 0: resent at 1 s, then 2, 4 and 8 s after each resend (capped at 8)
  assert.deepEqual(resentTo.map(r => r.at), [1000, 3000, 7000, 15_000])
})
