// A view change under load: a full watermark window of near-MAX_BATCH_BYTES batches prepared, then a view
// change. View-changes and new-views carry digests, so every message and record fits its limit, and a
// replica that never saw one batch fetches it from a peer that prepared it before it prepares and commits;
// peers answer such fetches within bounds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { batchBytes, makeBatch } from '../../../../src/consensus/core/batch.ts'
import type { Tx } from '../../../../src/consensus/core/batch.ts'
import { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, MAX_TX_BYTES, MAX_WAL_RECORD_BYTES } from '../../../../src/consensus/core/limits.ts'
import { MessageSigner, encodeSigned } from '../../../../src/consensus/core/message.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { encodeRecord } from '../../../../src/consensus/core/record.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { PBFT_TIMERS, createPbft, pbftCodec } from '../../../../src/consensus/pbft/index.ts'
import type { BatchRequest, PbftMessage } from '../../../../src/consensus/pbft/index.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { PbftCluster } from '../../../helpers/pbft-cluster.ts'

const IDS = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([11]))
const WINDOW = 4

/** Distinct largest transactions, as many as fill `batches` batches to just under MAX_BATCH_BYTES. */
function bigTxs (batches: number): Tx[] {
  const perBatch = Math.floor((MAX_BATCH_BYTES - 4) / (4 + MAX_TX_BYTES))
  return Array.from({ length: batches * perBatch }, (_, i) => {
    const tx = new Uint8Array(MAX_TX_BYTES)
    tx.set(sha256(new Uint8Array([i >> 8, i & 255])))
    return tx
  })
}

test('a view change over a full window of near-limit batches fits every limit and commits them all, fetching a missing batch', (t) => {
  const oversized: string[] = []
  const largest = new Map<string, number>()
  const note = (what: string, bytes: number): void => { largest.set(what, Math.max(largest.get(what) ?? 0, bytes)) }
  const committed = new Map<string, Map<number, string>>(IDS.map((id) => [id, new Map()]))
  const fetchedBy = new Set<string>()
  const batchSizes = new Map<string, number>()
  const cluster = new PbftCluster(IDS, genesis, { batchSize: 4096, checkpointInterval: 2, watermarkWindow: WINDOW, resendIntervalMs: 1000 }, (id, e) => {
    if (e.kind === 'persist') {
      const bytes = encodeRecord(pbftCodec, e.record).bytes.byteLength
      note(`record ${e.record.msg.type}`, bytes)
      if (bytes > MAX_WAL_RECORD_BYTES) oversized.push(`${id} record ${e.record.msg.type}: ${bytes} bytes`)
    } else if (e.kind === 'send' || e.kind === 'broadcast') {
      const bytes = encodeSigned(pbftCodec, e.msg).byteLength
      note(`message ${e.msg.msg.type}`, bytes)
      if (bytes > MAX_MESSAGE_BYTES) {
        oversized.push(`${id} message ${e.msg.msg.type}: ${bytes} bytes`)
        return 'skip' // the wire refuses it
      }
      if (e.msg.msg.type === 'batch-request') fetchedBy.add(id)
    } else if (e.kind === 'commit') {
      committed.get(id)?.set(e.seq, toHex(e.batch.id))
      batchSizes.set(toHex(e.batch.id), batchBytes(e.batch.txs))
    }
    return 'deliver'
  })

  cluster.start()
  // Phase one drops every commit (so the window stays prepared, not committed) and d's pre-prepare for seq 4.
  cluster.drop = (_from, to, m) => m.msg.type === 'commit' || (to === 'd' && m.msg.type === 'pre-prepare' && m.msg.seq === WINDOW)
  const txs = bigTxs(WINDOW)
  cluster.handle('a', cluster.replica('a').onRequest(makeBatch(txs), 1))
  cluster.drain(1)
  const proposed = committed.get('a')?.size ?? 0
  assert.equal(proposed, 0, 'nothing committed in view 0')

  // Every replica times out the primary of view 0; b leads view 1.
  cluster.drop = () => false
  cluster.timer(PBFT_TIMERS.viewChange, 2000)
  cluster.drain(2000)
  for (let now = 3000; now <= 10_000; now += 1000) {
    cluster.timer(PBFT_TIMERS.resend, now)
    cluster.drain(now)
  }

  t.diagnostic(`largest: ${[...largest].map(([k, v]) => `${k} ${v}`).join(', ')}`)
  assert.deepEqual(oversized, [], 'every message and record fits its limit')
  assert.ok((largest.get('message new-view') ?? 0) > 0 && (largest.get('record rec-new-view') ?? 0) > 0, 'a new-view was sent and persisted')
  const expected = committed.get('b')
  assert.ok(expected !== undefined)
  assert.deepEqual([...expected.keys()].sort(), [1, 2, 3, 4], 'the new view commits every prepared batch')
  for (const seq of [1, 2, 3, 4]) assert.ok((batchSizes.get(expected.get(seq) ?? '') ?? 0) > MAX_BATCH_BYTES - 2 * (4 + MAX_TX_BYTES), `batch ${seq} is near the limit`)
  for (const id of IDS) assert.deepEqual(committed.get(id), expected, `${id} commits the same batches`)
  assert.ok(fetchedBy.has('d'), 'd fetched the batch it never saw')
})

test('batch requests are answered once per peer and resend period, and an over-long request not at all', () => {
  const a = createPbft({ self: 'a', validators, signer: new FakeSigner('a'), verifier: new FakeVerifier(), genesisHash: genesis, params: { checkpointInterval: 2, watermarkWindow: WINDOW, resendIntervalMs: 1000 } })
  a.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0)
  const batch = makeBatch([new Uint8Array([1, 2, 3])])
  const proposed = a.onRequest(batch, 0).some((e) => e.kind === 'broadcast' && e.msg.msg.type === 'pre-prepare')
  const fx0 = proposed ? [] : a.onTimer(PBFT_TIMERS.batch, 10)
  assert.ok(proposed || fx0.some((e) => e.kind === 'broadcast' && e.msg.msg.type === 'pre-prepare'), 'a proposed the batch')
  const d = new MessageSigner<PbftMessage>(new FakeSigner('d'), pbftCodec, genesis)
  const ask = (digests: Uint8Array[]) => d.sign<BatchRequest>({ protocol: 'pbft', type: 'batch-request', digests })
  const replies = (fx: Effect<PbftMessage>[]): Tx[][] => fx.flatMap((e) => e.kind === 'send' && e.msg.msg.type === 'batch' ? [[...e.msg.msg.txs]] : [])
  const first = replies(a.onMessage('d', ask([batch.id, sha256(new Uint8Array([9]))]), 20))
  assert.equal(first.length, 1, 'the known batch, not the unknown digest')
  assert.equal(toHex(makeBatch(first[0]).id), toHex(batch.id))
  assert.equal(replies(a.onMessage('d', ask([batch.id]), 30)).length, 0, 'once per resend period')
  assert.equal(replies(a.onMessage('d', ask([batch.id]), 1030)).length, 1, 'again in the next period')
  const tooLong = a.onMessage('d', ask(Array.from({ length: WINDOW + 1 }, () => batch.id)), 5000)
  assert.equal(replies(tooLong).length, 0)
  assert.ok(tooLong.some((e) => e.kind === 'log' && e.event.type === 'invalid-message'))
})
