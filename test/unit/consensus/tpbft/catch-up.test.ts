// Why the trust ledger is part of what a stable checkpoint certifies (ledger-sync.ts): a replica that reaches
// an epoch boundary by state transfer (it installed the snapshot and never committed the evidence-carrying
// batches before it) holds an empty ledger, so with rankByEvidence 1 it would compute other groups than the
// replicas that committed every batch. Each checkpoint therefore carries the ledger's hash (the certificate's
// 2f+1 votes match on it), and the transferred replica fetches the bytes from a signer, refuses any that do
// not hash to the certified value, and only then enters the epoch: the same configuration either way.
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
import type { ThreePhaseMessage } from '../../../../src/consensus/three-phase/messages.ts'
import { TrustLedger } from '../../../../src/consensus/tpbft/evidence.ts'
import { decodeCertifiedLedger, encodeCertifiedLedger, ledgerHash } from '../../../../src/consensus/tpbft/ledger-sync.ts'
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

interface Wire { readonly from: string, readonly to: readonly string[], readonly msg: Signed<TpbftMessage> }

/** A replica's side of the engine as the variant sees it: what it sends lands in `wire`; `at.lastCommitted`
 *  is where its commits stand (a transferred replica's stays behind the checkpoint it installs). */
function hostOf (self: string, wire: Wire[], at: { lastCommitted: number, now: number }): VariantHost {
  const signer = signerOf(self)
  return {
    self,
    now: () => at.now,
    view: () => 0,
    viewChanging: () => false,
    stableSeq: () => 0,
    lastCommitted: () => at.lastCommitted,
    hasWork: () => false,
    sign: (msg: ThreePhaseMessage) => signer.sign(msg as unknown as TpbftMessage),
    send: (to: readonly string[], msg: Signed<ThreePhaseMessage>) => { wire.push({ from: self, to, msg: msg as unknown as Signed<TpbftMessage> }) },
    broadcast: () => {},
    persist: () => {},
    arm: () => {},
    disarm: () => {},
    log: () => {}
  } as unknown as VariantHost
}

interface Replica { readonly v: TpbftVariant, readonly at: { lastCommitted: number, now: number } }

function replicaOf (self: string, rankByEvidence: number, wire: Wire[]): Replica {
  const v = new TpbftVariant(validators, tpbftParams({ epochLength: EPOCH, checkpointInterval: CHECKPOINT, watermarkWindow: 8, rankByEvidence }), verifier)
  const at = { lastCommitted: 0, now: 0 }
  v.attach(hostOf(self, wire, at))
  return { v, at }
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

/** Each checkpoint's state root (distinct, so an epoch's tie-break seed is one of them). */
const rootOf = (seq: number): Uint8Array => sha256(new TextEncoder().encode(`state root ${seq}`))
const SIGNERS = ['a', 'b', 'c', 'd', 'e']

/** A replica that committed batches 1..2E and saw every checkpoint become stable, certified with the
 *  ledger hash it signed (the other signers committed the same batches, so they signed the same hash). */
function committedReplica (rankByEvidence: number, wire: Wire[], last = 2 * EPOCH, rootAt = rootOf): Replica {
  const r = replicaOf('a', rankByEvidence, wire)
  for (const b of batches(last)) {
    r.at.lastCommitted = b.seq
    r.v.observe({ kind: 'committed', seq: b.seq, view: 0, primary: 'a', batch: makeBatch(b.txs), cert: b.cert })
    if (b.seq % CHECKPOINT === 0) {
      const extra = r.v.checkpointExtra(b.seq, rootAt(b.seq))
      assert.ok(extra !== undefined, `a ledger hash to sign into checkpoint ${b.seq}`)
      r.v.observe({ kind: 'stable', seq: b.seq, stateRoot: rootAt(b.seq), extra, signers: SIGNERS })
    }
  }
  assert.equal(r.v.config.epoch, 2)
  return r
}

/** Delivers what `from` sent to `to` since `mark`, as the engine would (variant messages only). */
function deliver (wire: Wire[], mark: number, to: Replica, self: string): void {
  for (const w of wire.slice(mark)) if (w.to.includes(self)) to.v.onMessage(w.from, w.msg as unknown as Signed<ThreePhaseMessage>)
}

/** The configuration hash at epoch 2 of a replica that committed every batch, and of one that skipped them
 *  all and saw only the stable checkpoint at 2E (what a snapshot install there leaves it with), which then
 *  fetches the certified ledger from the first signer. */
function boundary (rankByEvidence: number): { committed: string, transferred: string, evidence: number, transferredReplica: Replica } {
  const wire: Wire[] = []
  const committed = committedReplica(rankByEvidence, wire)
  const transferred = replicaOf('g', rankByEvidence, wire)
  const certified = committed.v.ledger.bytesAt(2 * EPOCH)
  assert.ok(certified !== undefined, 'the committed replica serves the ledger of its stable checkpoint')
  transferred.v.observe({ kind: 'stable', seq: 2 * EPOCH, stateRoot: rootOf(2 * EPOCH), extra: ledgerHash(certified), signers: SIGNERS })
  const asked = wire.length
  transferred.v.afterInput()
  deliver(wire, asked, committed, 'a')
  deliver(wire, asked + 1, transferred, 'g')
  assert.equal(transferred.v.config.epoch, 2)
  return { committed: toHex(committed.v.config.hash), transferred: toHex(transferred.v.config.hash), evidence: committed.v.evidence.counters.applied, transferredReplica: transferred }
}

test('ranking by evidence: a replica that crossed the boundary by state transfer computes the same groups', () => {
  const r = boundary(1)
  assert.ok(r.evidence > 0, 'evidence was committed before the boundary')
  assert.equal(r.transferred, r.committed, 'the certified ledger travelled to the transferred replica')
  assert.equal(r.transferredReplica.v.ledger.counters.fetched, 1)
  assert.equal(r.transferredReplica.v.ledger.pending, undefined)
  // Without the certified ledger (a checkpoint that carries no ledger hash, as before) the transferred
  // replica ranks an empty ledger: other groups. This is the divergence the transfer closes.
  const blind = replicaOf('g', 1, [])
  blind.v.observe({ kind: 'stable', seq: 2 * EPOCH, stateRoot: rootOf(2 * EPOCH) })
  assert.equal(blind.v.config.epoch, 2)
  assert.notEqual(toHex(blind.v.config.hash), r.committed)
})

test('the uniform fallback (rankByEvidence 0): the same configuration whether committed or transferred', () => {
  const r = boundary(0)
  assert.ok(r.evidence > 0, 'evidence was committed and counted before the boundary')
  assert.equal(r.transferred, r.committed)
})

test('epoch 2 breaks ties by a hash of checkpoint 2E\'s state root; a replica that reached 2E + 4 by state transfer has it from the certified ledger', () => {
  // The uniform ranking (rankByEvidence 0): the order is the tie-break alone.
  const wire: Wire[] = []
  const committed = committedReplica(0, wire, 2 * EPOCH + CHECKPOINT)
  assert.equal(committed.v.config.epoch, 2)
  assert.equal(toHex(committed.v.config.checkpointRoot), toHex(rootOf(2 * EPOCH)))
  const otherRoot = committedReplica(0, [], 2 * EPOCH, (seq) => seq === 2 * EPOCH ? sha256(new TextEncoder().encode('another state')) : rootOf(seq))
  assert.notDeepEqual(otherRoot.v.config.ranking, committed.v.config.ranking, 'another root at 2E, another order')
  // Past the epoch's first checkpoint, the stable certificate alone does not give the seed: the replica
  // waits for the certified ledger, which brings it.
  const transferred = replicaOf('g', 0, wire)
  const certified = committed.v.ledger.bytesAt(2 * EPOCH + CHECKPOINT)
  assert.ok(certified !== undefined)
  assert.equal(toHex(decodeCertifiedLedger(certified)!.seed), toHex(rootOf(2 * EPOCH)))
  transferred.v.observe({ kind: 'stable', seq: 2 * EPOCH + CHECKPOINT, stateRoot: rootOf(2 * EPOCH + CHECKPOINT), extra: ledgerHash(certified), signers: SIGNERS })
  assert.equal(transferred.v.ledger.pending, 2 * EPOCH + CHECKPOINT)
  assert.equal(transferred.v.config.epoch, 0, 'no configuration without the seed')
  const asked = wire.length
  transferred.v.afterInput()
  deliver(wire, asked, committed, 'a')
  deliver(wire, asked + 1, transferred, 'g')
  assert.equal(transferred.v.config.epoch, 2)
  assert.equal(toHex(transferred.v.config.hash), toHex(committed.v.config.hash))
})

test('a ledger whose bytes do not hash to the certified checkpoint is refused; the replica waits for a good one', () => {
  const wire: Wire[] = []
  const committed = committedReplica(1, wire)
  const certified = committed.v.ledger.bytesAt(2 * EPOCH)
  assert.ok(certified !== undefined)
  const transferred = replicaOf('g', 1, wire)
  transferred.v.observe({ kind: 'stable', seq: 2 * EPOCH, stateRoot: rootOf(2 * EPOCH), extra: ledgerHash(certified), signers: SIGNERS })
  transferred.v.afterInput()
  assert.equal(transferred.v.ledger.pending, 2 * EPOCH)
  assert.equal(transferred.v.config.epoch, 0, 'no configuration from an uncertified ledger')
  const reply = (from: string, ledger: Uint8Array, seq = 2 * EPOCH) => transferred.v.onMessage(from, signerOf(from).sign({ protocol: 'tpbft', type: 'ledger', seq, ledger } as TpbftMessage) as unknown as Signed<ThreePhaseMessage>)
  // A Byzantine signer's answers: a well-formed ledger that is not the certified one (the empty one, and
  // one with 'f' convicted), the certified bytes with one count changed, bytes that decode to nothing, and
  // the certified bytes for another checkpoint.
  const parts = decodeCertifiedLedger(certified)
  assert.ok(parts !== undefined)
  const forged = TrustLedger.decode(parts.ledger)
  assert.ok(forged.ok)
  forged.value.apply(1, { key: 'convict/f', ratings: [], convict: 'f' })
  const flipped = certified.slice()
  flipped[flipped.length - 1] ^= 1
  reply('f', new TrustLedger().encode())
  reply('f', encodeCertifiedLedger({ ...parts, ledger: forged.value.encode() }))
  reply('f', flipped)
  reply('f', new Uint8Array([1, 2, 3]))
  assert.equal(transferred.v.ledger.counters.refused, 4)
  reply('f', certified, EPOCH)
  assert.equal(transferred.v.ledger.counters.fetched, 0)
  assert.equal(transferred.v.ledger.pending, 2 * EPOCH)
  assert.equal(transferred.v.config.epoch, 0)
  assert.ok(!transferred.v.evidence.ledger.isConvicted('f'))
  // The retry goes to the next signer; an honest one's bytes are the certified ones.
  transferred.at.now += 60_000
  const mark = wire.length
  transferred.v.afterInput()
  const asked = wire.slice(mark).find((w) => w.msg.msg.type === 'ledger-request')
  assert.ok(asked !== undefined && asked.to[0] !== 'a', 'the retry asks another signer')
  reply('b', certified)
  assert.equal(transferred.v.ledger.counters.fetched, 1)
  assert.equal(transferred.v.config.epoch, 2)
  assert.equal(toHex(transferred.v.config.hash), toHex(committed.v.config.hash))
})
