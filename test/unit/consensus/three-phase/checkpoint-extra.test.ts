// A variant's checkpoint extra (T-PBFT: its trust ledger's hash) is certified with the state root: only votes
// that match on both form a stable checkpoint or a checkpoint proof, and a replica that becomes stable
// without the ledger asks a signer for it. Codecs without the field (PBFT's) keep their layout byte for byte.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { roundRobin } from '../../../../src/consensus/core/leaders.ts'
import { MessageSigner, MessageVerifier, decodeSigned, encodeSigned } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { Writer, Reader } from '../../../../src/consensus/core/codec.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/codec.ts'
import { validCheckpointProof } from '../../../../src/consensus/three-phase/certificates.ts'
import type { CertContext } from '../../../../src/consensus/three-phase/certificates.ts'
import { threePhaseCodec } from '../../../../src/consensus/three-phase/codec.ts'
import type { CheckpointMsg, ThreePhaseMessage } from '../../../../src/consensus/three-phase/messages.ts'
import { createTpbftReplica, tpbftCodec } from '../../../../src/consensus/tpbft/index.ts'
import type { TpbftMessage } from '../../../../src/consensus/tpbft/index.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

const validators = new ValidatorSet(['a', 'b', 'c', 'd'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([9]))
const root = sha256(new Uint8Array([1]))
const ledgerA = sha256(new Uint8Array([2]))
const ledgerB = sha256(new Uint8Array([3]))
const tpbft = (id: string) => new MessageSigner<ThreePhaseMessage>(new FakeSigner(id), tpbftCodec as never, genesis)
const checkpoint = (id: string, seq: number, extra?: Uint8Array): Signed<CheckpointMsg> =>
  tpbft(id).sign<CheckpointMsg>({ protocol: 'tpbft', type: 'checkpoint', seq, stateRoot: root, ...(extra === undefined ? {} : { extra }) })

test('PBFT\'s checkpoint layout is unchanged; T-PBFT\'s carries the extra through its codec', () => {
  const pbft = new MessageSigner<ThreePhaseMessage>(new FakeSigner('a'), pbftCodec, genesis)
  const plain = pbft.sign<CheckpointMsg>({ protocol: 'pbft', type: 'checkpoint', seq: 8, stateRoot: root })
  const w = new Writer()
  pbftCodec.encodeBody(plain.msg, w)
  assert.equal(w.finish().byteLength, 8 + 4 + 32, 'u64 seq and the root, nothing else')
  // An extra a PBFT message somehow held is not part of PBFT's bytes.
  const withExtra = new Writer()
  pbftCodec.encodeBody({ ...plain.msg, extra: ledgerA }, withExtra)
  assert.deepEqual(withExtra.finish(), (() => { const x = new Writer(); pbftCodec.encodeBody(plain.msg, x); return x.finish() })())

  for (const extra of [ledgerA, undefined]) {
    const s = checkpoint('a', 8, extra)
    const back = decodeSigned(tpbftCodec as never, encodeSigned(tpbftCodec as never, s))
    assert.ok(back.ok)
    assert.deepEqual(back.value.msg, s.msg)
  }
  // An extra that is neither empty nor a hash is refused.
  const odd = threePhaseCodec('x', false, false, true)
  const body = new Writer().u64(8).bytes(root).bytes(new Uint8Array(5)).finish()
  assert.throws(() => odd.decodeBody('checkpoint', new Reader(body), { depth: 0 }), /checkpoint extra/)
})

test('a checkpoint proof needs one extra across its quorum', () => {
  const ctx: CertContext = {
    validators,
    verifier: new MessageVerifier(new FakeVerifier(), tpbftCodec as never, genesis),
    leaders: roundRobin(validators),
    prepared: () => true,
    quorum: validators.quorums.quorum,
    watermarkWindow: 32,
    prepareCertSize: validators.n - 1
  }
  assert.ok(validCheckpointProof(ctx, 8, root, ['a', 'b', 'c'].map((id) => checkpoint(id, 8, ledgerA))))
  assert.ok(validCheckpointProof(ctx, 8, root, ['a', 'b', 'c'].map((id) => checkpoint(id, 8))))
  assert.ok(!validCheckpointProof(ctx, 8, root, [checkpoint('a', 8, ledgerA), checkpoint('b', 8, ledgerA), checkpoint('c', 8, ledgerB)]))
  assert.ok(!validCheckpointProof(ctx, 8, root, [checkpoint('a', 8, ledgerA), checkpoint('b', 8, ledgerA), checkpoint('c', 8)]))
})

test('a T-PBFT replica is stable only on matching ledger hashes, then fetches the state and the ledger from the signers', () => {
  const { replica } = createTpbftReplica({ self: 'd', validators, signer: new FakeSigner('d'), verifier: new FakeVerifier(), genesisHash: genesis }, { checkpointInterval: 8, watermarkWindow: 16, epochLength: 16, rankByEvidence: 1 })
  replica.restore([])
  replica.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0)
  let fx: Effect<ThreePhaseMessage>[] = []
  for (const [id, extra] of [['a', ledgerA], ['b', ledgerA], ['c', ledgerB]] as const) fx = fx.concat(replica.onMessage(id, checkpoint(id, 8, extra), 10))
  assert.equal(replica.status().stableCheckpoint, 0, 'two votes for one ledger and one for another certify nothing')
  assert.ok(!fx.some((e) => e.kind === 'fetchState'))
  fx = replica.onMessage('c', checkpoint('c', 8, ledgerA), 20)
  assert.equal(replica.status().stableCheckpoint, 8)
  assert.ok(fx.some((e) => e.kind === 'fetchState'))
  const asks = fx.flatMap((e) => e.kind === 'send' && (e.msg.msg as unknown as TpbftMessage).type === 'ledger-request' ? [e] : [])
  assert.equal(asks.length, 1)
  assert.ok(['a', 'b', 'c'].includes(asks[0].to[0]), 'a signer of the certificate is asked')
  assert.equal(replica.status().extra?.ledgerPending, 8)
})
