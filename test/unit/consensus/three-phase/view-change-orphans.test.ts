// A view change after which a replica must fetch a re-proposed batch it never saw: the transactions of a
// proposal that did not survive the view change (seen only by that replica and the crashed primary) go back
// to pending once the fetch completes, so they still commit. Before the fix they stayed "in flight" forever
// and the clients that submitted them waited without end (the e2e kill -9 test hung on it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch, txKey } from '../../../../src/consensus/core/batch.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { PBFT_TIMERS, createPbft } from '../../../../src/consensus/pbft/index.ts'
import type { PbftMessage } from '../../../../src/consensus/pbft/index.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'

const IDS = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([12]))

test('after fetching a missing re-proposed batch, in-flight transactions of a lost proposal go back to pending and commit', () => {
  const replicas = new Map(IDS.map((id) => [id, createPbft({
    self: id,
    validators,
    signer: new FakeSigner(id),
    verifier: new FakeVerifier(),
    genesisHash: genesis,
    params: { batchSize: 2, batchDelayMs: 0, relayDelayMs: 0, checkpointInterval: 8, watermarkWindow: 16, resendIntervalMs: 1000 }
  })]))
  const committedTxs = new Map<string, Set<string>>(IDS.map((id) => [id, new Set()]))
  const fetched = new Set<string>()
  const queue: Array<{ from: string, to: string, msg: Signed<PbftMessage> }> = []
  let drop = (_from: string, _to: string, _m: Signed<PbftMessage>): boolean => false
  const handle = (id: string, fx: Effect<PbftMessage>[]): void => {
    for (const e of fx) {
      if (e.kind === 'send' || e.kind === 'broadcast') {
        if (e.msg.msg.type === 'batch-request') fetched.add(id)
        const to = e.kind === 'broadcast' ? IDS.filter((p) => p !== id) : e.to
        for (const peer of to) if (!drop(id, peer, e.msg)) queue.push({ from: id, to: peer, msg: e.msg })
      } else if (e.kind === 'commit') {
        for (const tx of e.batch.txs) committedTxs.get(id)?.add(txKey(tx))
      }
    }
  }
  const drain = (now: number): void => {
    for (let steps = 0; queue.length > 0; steps++) {
      assert.ok(steps < 100_000, 'the cluster went quiet')
      const { from, to, msg } = queue.shift() as { from: string, to: string, msg: Signed<PbftMessage> }
      const r = replicas.get(to)
      if (r !== undefined) handle(to, r.onMessage(from, msg, now))
    }
  }
  for (const [id, r] of replicas) handle(id, r.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0))

  // View 0: a proposes seq 1 (everyone but d sees it, so b and c prepare it) and seq 2 (only d sees it, so
  // it cannot prepare). No relays, no commits: nothing commits in view 0.
  const seq = (m: Signed<PbftMessage>): number => (m.msg as { seq?: number }).seq ?? 0
  drop = (_from, to, m) => m.msg.type === 'request' || m.msg.type === 'commit' ||
    (m.msg.type === 'pre-prepare' && (seq(m) === 1 ? to === 'd' : to !== 'd'))
  const txs = [1, 2, 3, 4].map((i) => new Uint8Array([i, i, i]))
  const a = replicas.get('a')
  assert.ok(a !== undefined)
  handle('a', a.onRequest(makeBatch(txs), 1))
  drain(1)
  assert.equal(committedTxs.get('b')?.size, 0, 'nothing committed in view 0')

  // a crashes; b, c and d change view (b leads view 1, re-proposing seq 1, which d must fetch).
  replicas.delete('a')
  drop = (_from, to) => to === 'a'
  for (const [id, r] of replicas) handle(id, r.onTimer(PBFT_TIMERS.viewChange, 2000))
  drain(2000)
  for (let now = 3000; now <= 12_000; now += 1000) {
    for (const [id, r] of replicas) {
      handle(id, r.onTimer(PBFT_TIMERS.resend, now))
      handle(id, r.onTimer(PBFT_TIMERS.batch, now))
    }
    drain(now)
  }
  assert.ok(fetched.has('d'), 'd fetched the re-proposed batch it never saw')
  const all = new Set(txs.map(txKey))
  for (const id of ['b', 'c', 'd']) {
    assert.deepEqual(committedTxs.get(id), all, `${id} committed all four transactions, the lost proposal's two included`)
  }
})
