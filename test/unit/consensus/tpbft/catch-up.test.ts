// Why T-PBFT ranks by evidence only in the simulator (params.ts, rankByEvidence): the trust ledger is not in
// the replicated state yet, so a replica that reaches an epoch boundary by state transfer (it installed the
// snapshot and never committed the evidence-carrying batches before it) holds an empty ledger. This pins
// both sides of the gate: with the nodes' default 0 it computes the same epoch configuration as the replicas
// that committed every batch; with rankByEvidence 1 it should too (a todo: the divergence a certified ledger
// transfer must close before the gate may open on nodes).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import type { Tx } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner, MessageVerifier } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'
import { EvidenceCarrier, TpbftVariant, tpbftCodec, tpbftParams } from '../../../../src/consensus/tpbft/index.ts'
import type { TpbftMessage } from '../../../../src/consensus/tpbft/index.ts'
import type { VariantHost } from '../../../../src/consensus/three-phase/variant.ts'
import type { Commit } from '../../../../src/consensus/three-phase/messages.ts'

const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const GENESIS = sha256(new TextEncoder().encode('tpbft-catch-up'))
const EPOCH = 8
const CHECKPOINT = 4
const verifier = new MessageVerifier<TpbftMessage>(new FakeVerifier(), tpbftCodec, GENESIS)
const signerOf = (id: string) => new MessageSigner<TpbftMessage>(new FakeSigner(id), tpbftCodec, GENESIS)
const digestOf = (seq: number) => sha256(new TextEncoder().encode(`batch ${seq}`))
const clientTx = (k: number): Tx => new TextEncoder().encode(`client tx ${k}`)
/** Commits of seq from a quorum (5 of 7) that leaves out 'f' and 'g': they earn no agreement. */
const certOf = (seq: number): Signed<Commit>[] =>
  ['a', 'b', 'c', 'd', 'e'].map((id) => signerOf(id).sign({ protocol: 'tpbft', type: 'commit', view: 0, seq, digest: digestOf(seq) } as TpbftMessage) as unknown as Signed<Commit>)

/** A host that only absorbs what the variant persists and logs (observe() needs no more). */
const quietHost = (): VariantHost => ({ self: 'a', persist: () => {}, log: () => {}, viewChanging: () => false } as unknown as VariantHost)

function variantOf (rankByEvidence: number): TpbftVariant {
  const v = new TpbftVariant(validators, tpbftParams({ epochLength: EPOCH, checkpointInterval: CHECKPOINT, watermarkWindow: 8, rankByEvidence }), verifier)
  v.attach(quietHost())
  return v
}

/** Batches 1..last as a proposer builds them: each carries the certificate of the one before it. */
function batches (last: number): Array<{ seq: number, txs: Tx[], cert: Signed<Commit>[] }> {
  const proposer = new EvidenceCarrier({ validators, epochLength: EPOCH, verifier, codec: tpbftCodec })
  const out: Array<{ seq: number, txs: Tx[], cert: Signed<Commit>[] }> = []
  for (let seq = 1; seq <= last; seq++) {
    const txs = proposer.carry([clientTx(seq)], seq)
    out.push({ seq, txs, cert: certOf(seq) })
    proposer.committed(seq, makeBatch(txs), certOf(seq))
  }
  return out
}

const root = new Uint8Array(32)

/** The configuration hash at epoch 2 of a replica that committed every batch, and of one that skipped them
 *  all and saw only the stable checkpoints (what a snapshot install at 2E leaves it with). */
function boundary (rankByEvidence: number): { committed: string, transferred: string, evidence: number } {
  const committed = variantOf(rankByEvidence)
  for (const b of batches(2 * EPOCH)) {
    committed.observe({ kind: 'committed', seq: b.seq, view: 0, primary: 'a', batch: makeBatch(b.txs), cert: b.cert })
    if (b.seq % CHECKPOINT === 0) committed.observe({ kind: 'stable', seq: b.seq, stateRoot: root })
  }
  const transferred = variantOf(rankByEvidence)
  transferred.observe({ kind: 'stable', seq: 2 * EPOCH, stateRoot: root })
  assert.equal(committed.config.epoch, 2)
  assert.equal(transferred.config.epoch, 2)
  return { committed: toHex(committed.config.hash), transferred: toHex(transferred.config.hash), evidence: committed.evidence.counters.applied }
}

// The property the gate waits for, kept as a todo until the ledger travels with the snapshot (a certified
// ledger hash per checkpoint): today the transferred replica's ledger is empty and this assertion fails.
test('ranking by evidence: a replica that crossed the boundary by state transfer computes the same groups', { todo: 'the trust ledger is not part of state transfer yet (issue 12, Deliver 2)' }, () => {
  const r = boundary(1)
  assert.ok(r.evidence > 0, 'evidence was committed before the boundary')
  assert.equal(r.transferred, r.committed, 'the ledger does not travel with the snapshot, so the ranking input differs')
})

test('the nodes\' default (rankByEvidence 0): the same configuration whether committed or transferred', () => {
  const r = boundary(0)
  assert.ok(r.evidence > 0, 'evidence was committed and counted before the boundary')
  assert.equal(r.transferred, r.committed)
})
