// View-change certificates: duplicate signers, strangers and over-long lists are refused before a single
// signature is verified (a Byzantine validator could otherwise make every replica verify a message's worth
// of copies, again with every view).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { roundRobin } from '../../../../src/consensus/core/leaders.ts'
import { MessageSigner, MessageVerifier } from '../../../../src/consensus/core/message.ts'
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
  watermarkWindow: 32
})

const pp = signer('a').sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: 0, seq: 1, digest: makeBatch([new Uint8Array([1])]).id })
const prepare = (id: string): Signed<Prepare> => signer(id).sign<Prepare>({ protocol: 'pbft', type: 'prepare', view: 0, seq: 1, digest: pp.msg.digest })
const checkpoint = (id: string): Signed<CheckpointMsg> => signer(id).sign<CheckpointMsg>({ protocol: 'pbft', type: 'checkpoint', seq: 8, stateRoot: new Uint8Array(32) })
const viewChange = (over: Partial<ViewChange>): ViewChange => ({ protocol: 'pbft', type: 'view-change', view: 1, stableSeq: 0, stableRoot: new Uint8Array(32), checkpointProof: [], prepared: [], ...over })

test('a sound view change passes, with its signatures verified', () => {
  const v = new CountingVerifier()
  assert.ok(validViewChange(ctxWith(v), viewChange({ prepared: [{ prePrepare: pp, prepares: [prepare('b'), prepare('c')] }] })))
  assert.equal(v.calls, 3)
})

test('duplicate or stranger signers and over-long lists are refused before any signature is verified', () => {
  const cases: Array<[string, ViewChange]> = [
    ['one prepare repeated', viewChange({ prepared: [{ prePrepare: pp, prepares: Array.from({ length: 500 }, () => prepare('b')) }] })],
    ['a prepare twice among sound ones', viewChange({ prepared: [{ prePrepare: pp, prepares: [prepare('b'), prepare('c'), prepare('b')] }] })],
    ['a stranger\'s prepare', viewChange({ prepared: [{ prePrepare: pp, prepares: [prepare('b'), prepare('c'), prepare('x')] }] })],
    ['one checkpoint vote repeated', viewChange({ stableSeq: 8, checkpointProof: Array.from({ length: 500 }, () => checkpoint('b')) })],
    ['more certificates than the window', viewChange({ prepared: Array.from({ length: 33 }, () => ({ prePrepare: pp, prepares: [prepare('b'), prepare('c')] })) })],
    ['a proof with no stable checkpoint', viewChange({ checkpointProof: [checkpoint('b')] })]
  ]
  for (const [what, vc] of cases) {
    const v = new CountingVerifier()
    assert.equal(validViewChange(ctxWith(v), vc), false, what)
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
