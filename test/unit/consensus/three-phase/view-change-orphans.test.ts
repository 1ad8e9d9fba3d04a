// A view change after which a replica must fetch a re-proposed batch it never saw: the transactions of a
// proposal that did not survive the view change (seen only by that replica and the crashed primary) go back
// to pending once the fetch completes, so they still commit. Before the fix they stayed "in flight" forever
// and the clients that submitted them waited without end (the e2e kill -9 test hung on it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch, txKey } from '../../../../src/consensus/core/batch.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import { PBFT_TIMERS } from '../../../../src/consensus/pbft/index.ts'
import type { PbftMessage } from '../../../../src/consensus/pbft/index.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { PbftCluster } from '../../../helpers/pbft-cluster.ts'

const IDS = ['a', 'b', 'c', 'd']
const genesis = sha256(new Uint8Array([12]))

test('after fetching a missing re-proposed batch, in-flight transactions of a lost proposal go back to pending and commit', () => {
  const committedTxs = new Map<string, Set<string>>(IDS.map((id) => [id, new Set()]))
  const fetched = new Set<string>()
  const cluster = new PbftCluster(IDS, genesis, { batchSize: 2, batchDelayMs: 0, relayDelayMs: 0, checkpointInterval: 8, watermarkWindow: 16, resendIntervalMs: 1000 }, (id, e) => {
    if ((e.kind === 'send' || e.kind === 'broadcast') && e.msg.msg.type === 'batch-request') fetched.add(id)
    if (e.kind === 'commit') for (const tx of e.batch.txs) committedTxs.get(id)?.add(txKey(tx))
    return 'deliver'
  })
  cluster.start()

  // View 0: a proposes seq 1 (everyone but d sees it, so b and c prepare it) and seq 2 (only d sees it, so
  // it cannot prepare). No relays, no commits: nothing commits in view 0.
  const seq = (m: Signed<PbftMessage>): number => (m.msg as { seq?: number }).seq ?? 0
  cluster.drop = (_from, to, m) => m.msg.type === 'request' || m.msg.type === 'commit' ||
    (m.msg.type === 'pre-prepare' && (seq(m) === 1 ? to === 'd' : to !== 'd'))
  const txs = [1, 2, 3, 4].map((i) => new Uint8Array([i, i, i]))
  cluster.handle('a', cluster.replica('a').onRequest(makeBatch(txs), 1))
  cluster.drain(1)
  assert.equal(committedTxs.get('b')?.size, 0, 'nothing committed in view 0')

  // a crashes; b, c and d change view (b leads view 1, re-proposing seq 1, which d must fetch).
  cluster.crash('a')
  cluster.drop = (_from, to) => to === 'a'
  cluster.timer(PBFT_TIMERS.viewChange, 2000)
  cluster.drain(2000)
  for (let now = 3000; now <= 12_000; now += 1000) {
    cluster.timer(PBFT_TIMERS.resend, now)
    cluster.timer(PBFT_TIMERS.batch, now)
    cluster.drain(now)
  }
  assert.ok(fetched.has('d'), 'd fetched the re-proposed batch it never saw')
  const all = new Set(txs.map(txKey))
  for (const id of ['b', 'c', 'd']) {
    assert.deepEqual(committedTxs.get(id), all, `${id} committed all four transactions, the lost proposal's two included`)
  }
})
