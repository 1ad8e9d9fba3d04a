// View-change certificates: duplicate signers, strangers and over-long lists are refused before a single
// signature is verified (a Byzantine validator could otherwise make every replica verify a message's worth
// of copies, again with every view).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { roundRobin } from '../../../../src/consensus/core/leaders.ts'
import { MAX_WAL_RECORD_BYTES } from '../../../../src/consensus/core/limits.ts'
import { MessageSigner, MessageVerifier, decodeSigned, encodeSigned } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { createPbft } from '../../../../src/consensus/pbft/module.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/codec.ts'
import { validViewChange } from '../../../../src/consensus/three-phase/certificates.ts'
import type { CertContext } from '../../../../src/consensus/three-phase/certificates.ts'
import type { CheckpointMsg, NewView, Prepare, PrePrepare, ThreePhaseMessage, ViewChange } from '../../../../src/consensus/three-phase/messages.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import type { Verifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

const validators = new ValidatorSet(['a', 'b', 'c', 'd'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([7]))
const signer = (id: string): MessageSigner<ThreePhaseMessage> => new MessageSigner(new FakeSigner(id), pbftCodec, genesis)

class CountingVerifier implements Verifier {
  calls = 0
  readonly #inner = new FakeVerifier()
  verify (id: string, data: Uint8Array, sig: Uint8Array): boolean { this.calls++; return this.#inner.verify(id, data, sig) }
}

const ctxWith = (v: CountingVerifier): CertContext => ({
  validators,
  verifier: new MessageVerifier(v, pbftCodec, genesis),
  leaders: roundRobin(validators),
  prepared: (_view, _seq, votes) => votes.length >= validators.quorums.quorum - 1,
  quorum: validators.quorums.quorum,
  watermarkWindow: 32,
  // n - 1, so the duplicate and stranger cases below are refused for what they are, not for their length.
  prepareCertSize: validators.n - 1
})

const pp = signer('a').sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: 0, seq: 1, digest: makeBatch([new Uint8Array([1])]).id })
const prepare = (id: string): Signed<Prepare> => signer(id).sign<Prepare>({ protocol: 'pbft', type: 'prepare', view: 0, seq: 1, digest: pp.msg.digest })
const checkpoint = (id: string): Signed<CheckpointMsg> => signer(id).sign<CheckpointMsg>({ protocol: 'pbft', type: 'checkpoint', seq: 8, stateRoot: new Uint8Array(32) })
const viewChange = (over: Partial<ViewChange>): ViewChange => ({ protocol: 'pbft', type: 'view-change', view: 1, stableSeq: 0, stableRoot: new Uint8Array(32), checkpointProof: [], prepared: [], ...over })

test('a sound view change passes, with its signatures verified', () => {
  const v = new CountingVerifier()
  assert.ok(validViewChange(ctxWith(v), viewChange({ prepared: [{ prePrepare: pp, prepares: [prepare('b'), prepare('c')] }] }), 'd'))
  assert.equal(v.calls, 3)
})

test('duplicate or stranger signers and over-long lists are refused before any signature is verified', () => {
  const cases: Array<[string, ViewChange, number?]> = [
    ['one prepare repeated', viewChange({ prepared: [{ prePrepare: pp, prepares: Array.from({ length: 500 }, () => prepare('b')) }] })],
    ['a prepare twice among sound ones', viewChange({ prepared: [{ prePrepare: pp, prepares: [prepare('b'), prepare('c'), prepare('b')] }] })],
    ['a stranger\'s prepare', viewChange({ prepared: [{ prePrepare: pp, prepares: [prepare('b'), prepare('c'), prepare('x')] }] })],
    ['one checkpoint vote repeated', viewChange({ stableSeq: 8, checkpointProof: Array.from({ length: 500 }, () => checkpoint('b')) })],
    ['more certificates than the window', viewChange({ prepared: Array.from({ length: 33 }, () => ({ prePrepare: pp, prepares: [prepare('b'), prepare('c')] })) })],
    ['a proof with no stable checkpoint', viewChange({ checkpointProof: [checkpoint('b')] })],
    ['a certificate carrying its batch', viewChange({ prepared: [{ prePrepare: signer('a').sign<PrePrepare>({ ...pp.msg, batch: makeBatch([new Uint8Array([1])]) }), prepares: [prepare('b'), prepare('c')] }] })],
    ['more prepares than a certificate keeps', viewChange({ prepared: [{ prePrepare: pp, prepares: [prepare('b'), prepare('c'), prepare('d')] }] }), 2]
  ]
  for (const [what, vc, certSize] of cases) {
    const v = new CountingVerifier()
    assert.equal(validViewChange({ ...ctxWith(v), prepareCertSize: certSize ?? validators.n - 1 }, vc, 'd'), false, what)
    assert.equal(v.calls, 0, `${what}: no signature verified`)
  }
})

test('a new-view padded with copies of one view change costs the replica no verification', () => {
  const v = new CountingVerifier()
  const c = createPbft({ self: 'c', validators, signer: new FakeSigner('c'), verifier: v, genesisHash: genesis })
  c.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0)
  const vc = signer('d').sign<ViewChange>(viewChange({}))
  const nv = signer('b').sign<NewView>({ protocol: 'pbft', type: 'new-view', view: 1, viewChanges: Array.from({ length: 1000 }, () => vc), prePrepares: [] })
  const fx = c.onMessage('b', nv, 1)
  assert.equal(v.calls, 0)
  assert.ok(fx.some((e) => e.kind === 'log' && e.event.type === 'invalid-message'))
})

test('a pre-prepare\'s signature covers its header, so it stands with the batch left out', () => {
  const batch = makeBatch([new Uint8Array([1])])
  const full = signer('a').sign<PrePrepare>({ ...pp.msg, batch })
  const verifier = new MessageVerifier(new FakeVerifier(), pbftCodec, genesis)
  assert.ok(verifier.verify(full))
  assert.ok(verifier.verify({ ...full, msg: pp.msg }), 'the header alone verifies')
  assert.equal(verifier.verify({ ...full, msg: { ...pp.msg, seq: 2 } }), false, 'another header does not')
  // The codec refuses a pre-prepare whose batch is not the one its digest names.
  const forged = encodeSigned(pbftCodec, { ...full, msg: { ...pp.msg, batch: makeBatch([new Uint8Array([2])]) } })
  const back = decodeSigned(pbftCodec, forged)
  assert.ok(!back.ok && /digest/.test(back.error))
})

test('a new-view over its record budget is refused unverified, and a window too large for the validators is refused at creation', () => {
  const v = new CountingVerifier()
  const c = createPbft({ self: 'c', validators, signer: new FakeSigner('c'), verifier: v, genesisHash: genesis })
  c.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0)
  const padded = signer('d').sign<ViewChange>(viewChange({ stableSeq: 8, checkpointProof: [checkpoint('a'), { ...checkpoint('b'), sig: new Uint8Array(1024) }] }))
  // Three view-changes of ~6 MiB of checkpoint padding each: over 16 MiB in all, under the message limit.
  const big = { ...padded, msg: { ...padded.msg, stableRoot: new Uint8Array(32), checkpointProof: Array.from({ length: 6 * 1024 }, () => ({ ...checkpoint('b'), sig: new Uint8Array(1024) })) } }
  const nv = signer('b').sign<NewView>({ protocol: 'pbft', type: 'new-view', view: 1, viewChanges: [big, big, big], prePrepares: [] })
  assert.ok(encodeSigned(pbftCodec, nv).byteLength > MAX_WAL_RECORD_BYTES)
  const fx = c.onMessage('b', nv, 1)
  assert.equal(v.calls, 0)
  assert.ok(fx.some((e) => e.kind === 'log' && e.event.type === 'invalid-message'))
  assert.equal(fx.filter((e) => e.kind === 'persist').length, 0, 'nothing persisted for it')
  const many = new ValidatorSet(Array.from({ length: 40 }, (_, i) => ({ id: `12D3KooW${String(i).padStart(44, 'x')}`, publicKey: new Uint8Array(32) })))
  const self = many.ids[0]
  assert.throws(() => createPbft({ self, validators: many, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: genesis, params: { checkpointInterval: 100, watermarkWindow: 400 } }), /new-view .* over the/)
  assert.doesNotThrow(() => createPbft({ self, validators: many, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: genesis, params: { checkpointInterval: 8, watermarkWindow: 32 } }))
})
