// PBFT's pre-prepares name their batch by transaction ids (issue 13, Deliver 4): every replica was relayed
// the transactions, so a proposal costs 32 bytes per transaction; a replica that lacks one accepts once the
// relay arrives or the proposer sends the batch, and a proposal named by ids is judged like the full one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPbft } from '../../../../src/consensus/pbft/index.ts'
import type { PbftMessage, PrePrepare } from '../../../../src/consensus/pbft/index.ts'
import { idsDigest, makeBatch, txId } from '../../../../src/consensus/core/batch.ts'
import { encodeBody, MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import { Reader, Writer } from '../../../../src/consensus/core/codec.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/codec.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

const validators = new ValidatorSet(['a', 'b', 'c', 'd'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([1]))
const ZERO = { seq: 0, stateRoot: new Uint8Array(32) }
const make = (self: string, batchSize = 3) => createPbft({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: genesis, params: { batchSize, batchDelayMs: 0 } })
const tx = (s: string): Uint8Array => new TextEncoder().encode(s.padEnd(512, '.'))
const sent = (fx: Effect<PbftMessage>[], type: string): Signed<PbftMessage>[] =>
  fx.flatMap((e) => (e.kind === 'broadcast' || e.kind === 'send') && e.msg.msg.type === type ? [e.msg] : [])
const primary = new MessageSigner(new FakeSigner('a'), pbftCodec, genesis)
const relay = (from: string, txs: Uint8Array[]) => new MessageSigner(new FakeSigner(from), pbftCodec, genesis).sign<PbftMessage>({ protocol: 'pbft', type: 'request', txs })
const byIds = (txs: Uint8Array[], seq = 1): Signed<PrePrepare> => primary.sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: 0, seq, digest: makeBatch(txs).id, txIds: txs.map(txId) })

test('the primary proposes by ids, after relaying its own clients\' transactions on the same links', () => {
  const a = make('a')
  a.start(ZERO, 0)
  const txs = [tx('one'), tx('two'), tx('three')]
  const fx = a.onRequest(makeBatch(txs), 1)
  const relayAt = fx.findIndex((e) => e.kind === 'broadcast' && e.msg.msg.type === 'request')
  const ppAt = fx.findIndex((e) => e.kind === 'broadcast' && e.msg.msg.type === 'pre-prepare')
  assert.ok(relayAt >= 0 && ppAt > relayAt, 'the relay goes before the proposal')
  const pp = (fx[ppAt] as Extract<Effect<PbftMessage>, { kind: 'broadcast' }>).msg as Signed<PrePrepare>
  assert.equal(pp.msg.batch, undefined)
  assert.deepEqual(pp.msg.txIds, txs.map(txId))
  const full = encodeBody(pbftCodec, { ...pp.msg, txIds: undefined, batch: makeBatch(txs) }).byteLength
  const compact = encodeBody(pbftCodec, pp.msg).byteLength
  assert.ok(compact < 3 * 40 + 64 && full > 3 * 512, `compact ${compact} B, full ${full} B`)
})

test('the codec keeps ids that hash to the digest and refuses others, and an unknown body kind', () => {
  const txs = [tx('x'), tx('y')]
  const pp = byIds(txs).msg
  const round = pbftCodec.decodeBody('pre-prepare', new Reader(encodeBody(pbftCodec, pp)), { depth: 0 }) as PrePrepare
  assert.deepEqual(round.txIds, txs.map(txId))
  assert.equal(round.batch, undefined)
  const forged = { ...pp, digest: idsDigest([txId(tx('z'))]) }
  assert.throws(() => pbftCodec.decodeBody('pre-prepare', new Reader(encodeBody(pbftCodec, forged)), { depth: 0 }), /do not match its digest/)
  const w = new Writer().u64(0).u64(1).bytes(pp.digest).u8(3)
  assert.throws(() => pbftCodec.decodeBody('pre-prepare', new Reader(w.finish()), { depth: 0 }), /unknown pre-prepare body kind 3/)
})

test('a backup relayed every transaction prepares at once and asks for nothing', () => {
  const b = make('b')
  b.start(ZERO, 0)
  const txs = [tx('p'), tx('q'), tx('r')]
  b.onMessage('c', relay('c', txs), 1)
  const fx = b.onMessage('a', byIds(txs), 2)
  assert.equal(sent(fx, 'prepare').length, 1)
  assert.equal(sent(fx, 'batch-request').length, 0)
})

test('a backup missing a transaction asks the primary, and accepts when the relay arrives first', () => {
  const b = make('b')
  b.start(ZERO, 0)
  const txs = [tx('p'), tx('q'), tx('r')]
  b.onMessage('c', relay('c', txs.slice(0, 2)), 1)
  const fx = b.onMessage('a', byIds(txs), 2)
  assert.equal(sent(fx, 'prepare').length, 0, 'not before it holds the batch')
  const asks = fx.filter((e) => e.kind === 'send' && e.msg.msg.type === 'batch-request')
  assert.equal(asks.length, 1)
  assert.deepEqual((asks[0] as Extract<Effect<PbftMessage>, { kind: 'send' }>).to, ['a'])
  const late = b.onMessage('d', relay('d', [txs[2]]), 3)
  assert.equal(sent(late, 'prepare').length, 1, 'the late relay completes the proposal')
  const reply = primary.sign<PbftMessage>({ protocol: 'pbft', type: 'batch', txs })
  assert.equal(sent(b.onMessage('a', reply, 4), 'prepare').length, 0, 'the batch that follows changes nothing')
})

test('a backup missing a transaction accepts the batch the primary sends', () => {
  const b = make('b')
  b.start(ZERO, 0)
  const txs = [tx('s'), tx('t')]
  b.onMessage('a', byIds(txs), 1)
  const reply = primary.sign<PbftMessage>({ protocol: 'pbft', type: 'batch', txs })
  assert.equal(sent(b.onMessage('a', reply, 2), 'prepare').length, 1)
})

test('a proposal by ids is judged as the full one: a batch that repeats a transaction is refused', () => {
  const b = make('b')
  b.start(ZERO, 0)
  const twice = [tx('dup'), tx('dup')]
  b.onMessage('c', relay('c', [twice[0]]), 1)
  const fx = b.onMessage('a', byIds(twice), 2)
  assert.equal(sent(fx, 'prepare').length, 0)
  assert.ok(fx.some((e) => e.kind === 'log' && e.event.type === 'invalid-message' && /repeats a transaction/.test(String(e.event.reason))))
})

test('the primary sends its own proposal\'s batch at once, to each replica once per slot', () => {
  const a = make('a', 1)
  a.start(ZERO, 0)
  const fx1 = a.onRequest(makeBatch([tx('u')]), 1)
  const fx2 = a.onRequest(makeBatch([tx('v')]), 2)
  const [p1, p2] = [...sent(fx1, 'pre-prepare'), ...sent(fx2, 'pre-prepare')] as Signed<PrePrepare>[]
  const ask = (digests: Uint8Array[]) => new MessageSigner(new FakeSigner('b'), pbftCodec, genesis).sign<PbftMessage>({ protocol: 'pbft', type: 'batch-request', digests })
  assert.equal(sent(a.onMessage('b', ask([p1.msg.digest]), 3), 'batch').length, 1)
  assert.equal(sent(a.onMessage('b', ask([p2.msg.digest]), 3), 'batch').length, 1, 'another slot in the same period is answered too')
  assert.equal(sent(a.onMessage('b', ask([p2.msg.digest]), 3), 'batch').length, 1, 'the same slot again comes out of the per-period budget')
  assert.equal(sent(a.onMessage('b', ask([p2.msg.digest]), 3), 'batch').length, 0, 'which one answer used up')
})
