// T-PBFT's evidence carrier (src/consensus/tpbft/carry.ts): the proposer's evidence transaction is verified
// on commit and only then counts; forged, replayed, oversized or malformed evidence is refused and counted;
// two replicas fed the same commits compute byte-identical configurations; a convicted equivocator ends
// with zero trust; a restarted replica rebuilds the same ledger from its persisted records.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { META_TX_TAG, isMetaTx, makeBatch } from '../../../../src/consensus/core/batch.ts'
import type { Tx } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner, MessageVerifier } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { PersistedRecord } from '../../../../src/consensus/core/protocol.ts'
import { Reader, Writer } from '../../../../src/consensus/core/codec.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'
import { EvidenceCarrier, MAX_CARRIED_ITEMS, TpbftVariant, decodeEvidenceTx, encodeEvidenceTx, tpbftCodec, tpbftParams } from '../../../../src/consensus/tpbft/index.ts'
import type { TpbftMessage } from '../../../../src/consensus/tpbft/index.ts'
import { NO_SEED, encodeCertifiedLedger } from '../../../../src/consensus/tpbft/ledger-sync.ts'
import { evidenceCodec } from '../../../../src/consensus/tpbft/evidence.ts'
import { epochConfig } from '../../../../src/consensus/tpbft/epoch.ts'
import type { Commit, ThreePhaseMessage } from '../../../../src/consensus/three-phase/messages.ts'

const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const GENESIS = sha256(new TextEncoder().encode('tpbft-carry'))
const EPOCH = 8
const verifier = new MessageVerifier<TpbftMessage>(new FakeVerifier(), tpbftCodec, GENESIS)
const signerOf = (id: string) => new MessageSigner<TpbftMessage>(new FakeSigner(id), tpbftCodec, GENESIS)
const carrier = () => new EvidenceCarrier({ validators, epochLength: EPOCH, verifier, codec: tpbftCodec })
const digestOf = (seq: number) => sha256(new TextEncoder().encode(`batch ${seq}`))
const clientTx = (k: number): Tx => new TextEncoder().encode(`client tx ${k}`)

/** The commit certificate of `seq` from `signers` (a quorum is 5 of 7). */
const certOf = (seq: number, signers: readonly string[] = ['a', 'b', 'c', 'd', 'e'], view = 0): Signed<Commit>[] =>
  signers.map((id) => signerOf(id).sign({ protocol: 'tpbft', type: 'commit', view, seq, digest: digestOf(seq) } as TpbftMessage) as unknown as Signed<Commit>)

const configOf = (c: EvidenceCarrier, epoch: number, previous = new Uint8Array(32)) => epochConfig({
  epoch, validators, evidence: c.ledgerFor(epoch), checkpointRoot: new Uint8Array(32), groupSize: 4,
  ...(epoch > 0 ? { previous: { epoch: epoch - 1, hash: previous } } : {}),
  params: { epochLength: EPOCH, groupSize: 4 }
})

/** A proposer's run of batches 1..last: each carries the certificate of the one before it; returns them. */
function runBatches (last: number, signers?: (seq: number) => readonly string[]): Array<{ seq: number, txs: Tx[], cert: Signed<Commit>[] }> {
  const proposer = carrier()
  const out: Array<{ seq: number, txs: Tx[], cert: Signed<Commit>[] }> = []
  for (let seq = 1; seq <= last; seq++) {
    const txs = proposer.carry([clientTx(seq)], seq)
    const cert = certOf(seq, signers?.(seq))
    proposer.committed(seq, makeBatch(txs), cert)
    out.push({ seq, txs, cert })
  }
  return out
}

test('the proposer carries the last commit certificate; a replica verifies it on commit and records it', () => {
  const proposer = carrier()
  assert.deepEqual(proposer.carry([clientTx(1)], 1), [clientTx(1)], 'nothing to carry before a commit')
  proposer.committed(1, makeBatch([clientTx(1)]), certOf(1))
  const txs = proposer.carry([clientTx(2)], 2)
  assert.equal(txs.length, 2)
  assert.ok(isMetaTx(txs[0]) && !isMetaTx(txs[1]))
  const replica = carrier()
  assert.equal(replica.ledger.recorded('commit/1'), undefined)
  const applied = replica.committed(2, makeBatch(txs), certOf(2))
  assert.ok(applied !== undefined)
  assert.equal(replica.ledger.recorded('commit/1'), 0)
  assert.deepEqual(replica.counters, { carried: 0, applied: 1, duplicate: 0, refused: 0 })
  assert.equal(replica.ledger.counts(0, 'a', 'e').agree, 1)
  assert.equal(replica.ledger.counts(0, 'a', 'g').agree, 0, 'g did not co-sign the commit')
  // Once committed, the proposer stops carrying it.
  proposer.committed(2, makeBatch(txs), certOf(2))
  const next = proposer.carry([clientTx(3)], 3)
  const carried = decodeEvidenceTx(next[0])
  assert.ok(carried !== undefined && typeof carried !== 'string' && carried.seq === 3)
})

test('forged, replayed, oversized, malformed and surplus evidence is refused and counted, the batch still commits', () => {
  const codec = evidenceCodec(tpbftCodec)
  const good = certOf(1)
  const forged = good.map((s, i) => (i === 2 ? { ...s, sig: new Uint8Array(s.sig.byteLength) } : s))
  const replica = carrier()
  replica.committed(2, makeBatch([encodeEvidenceTx(2, codec.encode([{ kind: 'commits', commits: forged as unknown as Signed<TpbftMessage>[] }]))]), undefined)
  // Too few commits for a quorum, commits of two slots, a commit of a seq not below the carrier.
  replica.committed(3, makeBatch([encodeEvidenceTx(3, codec.encode([{ kind: 'commits', commits: good.slice(0, 4) as unknown as Signed<TpbftMessage>[] }]))]), undefined)
  replica.committed(4, makeBatch([encodeEvidenceTx(4, codec.encode([{ kind: 'commits', commits: certOf(9) as unknown as Signed<TpbftMessage>[] }]))]), undefined)
  assert.equal(replica.ledger.recorded('commit/1'), undefined)
  assert.equal(replica.ledger.recorded('commit/9'), undefined)
  assert.equal(replica.counters.refused, 3)
  // A valid evidence transaction carried at another seq (a replay) counts for nothing.
  const valid = encodeEvidenceTx(5, codec.encode([{ kind: 'commits', commits: good as unknown as Signed<TpbftMessage>[] }]))
  replica.committed(6, makeBatch([valid]), undefined)
  assert.equal(replica.ledger.recorded('commit/1'), undefined)
  // Malformed bytes, an oversized transaction, two evidence transactions in one batch, too many items.
  const garbage = new Uint8Array([...META_TX_TAG, 1, 0, 0, 0])
  const oversized = new Uint8Array(META_TX_TAG.byteLength + 70 * 1024)
  oversized.set(META_TX_TAG)
  assert.equal(typeof decodeEvidenceTx(garbage), 'string')
  assert.match(decodeEvidenceTx(oversized) as string, /exceeds/)
  const surplus = Array.from({ length: MAX_CARRIED_ITEMS + 1 }, () => ({ kind: 'commits' as const, commits: good as unknown as Signed<TpbftMessage>[] }))
  const before = replica.counters.refused
  replica.committed(7, makeBatch([garbage, oversized, clientTx(7)]), undefined)
  replica.committed(8, makeBatch([encodeEvidenceTx(8, codec.encode(surplus))]), undefined)
  assert.equal(replica.counters.refused - before, 3)
  assert.equal(replica.ledger.recorded('commit/1'), undefined)
  // The genuine one at its own seq passes; the same again in a second transaction of the batch does not.
  const genuine = encodeEvidenceTx(2, codec.encode([{ kind: 'commits', commits: good as unknown as Signed<TpbftMessage>[] }]))
  const fresh = carrier()
  fresh.committed(2, makeBatch([genuine, genuine]), undefined)
  assert.equal(fresh.ledger.recorded('commit/1'), 0)
  assert.deepEqual(fresh.counters, { carried: 0, applied: 1, duplicate: 0, refused: 1 })
})

test('two replicas fed the same commits compute byte-identical configuration hashes, and the evidence shapes the ranking', () => {
  // f and g never co-sign a commit: after one epoch of evidence they rank last.
  const batches = runBatches(EPOCH)
  const [r1, r2] = [carrier(), carrier()]
  for (const b of batches) {
    r1.committed(b.seq, makeBatch(b.txs), b.cert)
    r2.committed(b.seq, makeBatch(b.txs), b.cert)
  }
  const [c1, c2] = [configOf(r1, 1), configOf(r2, 1)]
  assert.equal(toHex(c1.hash), toHex(c2.hash))
  assert.deepEqual(r1.ledger.encode(), r2.ledger.encode())
  assert.notEqual(toHex(c1.hash), toHex(configOf(carrier(), 1).hash), 'the evidence changes the configuration')
  assert.deepEqual([...c1.ranking.slice(5)].sort(), ['f', 'g'])
  assert.ok(c1.trust[6] < c1.trust[0])
  // Pruning on entering epoch 2 forgets the commit keys of epoch 0 (no batch of epoch 2 may carry them)
  // and keeps the ratings the trust window reads.
  const pruned = carrier()
  for (const b of batches) pruned.committed(b.seq, makeBatch(b.txs), b.cert)
  pruned.prune(2, 8)
  assert.equal(pruned.ledger.recorded('commit/1'), undefined)
  assert.equal(toHex(configOf(pruned, 1).hash), toHex(c1.hash))
  // Evidence committed inside epoch 1 is not the input of epoch 1's configuration.
  r1.committed(EPOCH + 1, makeBatch(r1.carry([clientTx(99)], EPOCH + 1)), certOf(EPOCH + 1))
  assert.equal(toHex(configOf(r1, 1).hash), toHex(c1.hash))
})

test('a convicted equivocator ends with zero trust and last in the ranking', () => {
  const shareOf = (digest: Uint8Array) => signerOf('c').sign({ protocol: 'tpbft', type: 'group-share', view: 0, seq: 3, digest, acting: 0 } as TpbftMessage)
  const proposer = carrier()
  proposer.noteEquivocation(shareOf(digestOf(3)), shareOf(digestOf(4)))
  const txs = proposer.carry([clientTx(5)], 5)
  const replica = carrier()
  replica.committed(5, makeBatch(txs), undefined)
  assert.ok(replica.ledger.isConvicted('c'))
  const config = configOf(replica, 1)
  assert.equal(config.ranking[6], 'c')
  assert.equal(config.trust[6], 0)
  assert.deepEqual(config.convicted, ['c'])
  assert.ok(!config.groups.some((g) => g.includes('c')))
  // Two copies of one share prove nothing.
  const innocent = carrier()
  innocent.noteEquivocation(shareOf(digestOf(3)), shareOf(digestOf(3)))
  const other = carrier()
  other.committed(6, makeBatch(innocent.carry([clientTx(6)], 6)), undefined)
  assert.ok(!other.ledger.isConvicted('c'))
  assert.equal(other.counters.refused, 1)
})

test('a restarted replica rebuilds the ledger from its stable snapshot and the evidence committed after it', () => {
  const batches = runBatches(EPOCH + 3)
  const live = carrier()
  const records: PersistedRecord<ThreePhaseMessage>[] = []
  const rec = (seq: number, msg: TpbftMessage): void => { records.push({ seq, msg: msg as unknown as ThreePhaseMessage } as PersistedRecord<ThreePhaseMessage>) }
  for (const b of batches) {
    const applied = live.committed(b.seq, makeBatch(b.txs), b.cert)
    if (applied !== undefined && b.seq > 4) rec(b.seq, { protocol: 'tpbft', type: 'rec-evidence', seq: b.seq, evidence: applied })
    if (b.seq === 4) rec(4, { protocol: 'tpbft', type: 'rec-ledger', seq: 4, ledger: encodeCertifiedLedger({ epoch: 0, seed: NO_SEED, ledger: live.ledger.encode() }) })
  }
  rec(EPOCH, { protocol: 'tpbft', type: 'rec-stable', seq: EPOCH, stateRoot: new Uint8Array(32), proof: [], view: 0, viewChanging: false } as unknown as TpbftMessage)
  const variantOf = (rankByEvidence = 1) => new TpbftVariant(validators, tpbftParams({ epochLength: EPOCH, checkpointInterval: 4, watermarkWindow: 8, rankByEvidence }), verifier)
  const restarted = variantOf()
  restarted.restore(records)
  assert.deepEqual(restarted.evidence.ledger.encode(), live.ledger.encode())
  assert.equal(restarted.config.epoch, 1)
  assert.equal(toHex(restarted.config.hash), toHex(configOf(live, 1).hash))
  // With the uniform fallback (rankByEvidence 0) the same evidence is held and counted, and the ranking ignores it.
  const uniform = variantOf(0)
  uniform.restore(records)
  assert.deepEqual(uniform.evidence.ledger.encode(), live.ledger.encode())
  assert.equal(toHex(uniform.config.hash), toHex(configOf(carrier(), 1).hash))
  assert.notEqual(toHex(uniform.config.hash), toHex(restarted.config.hash))
  assert.ok(uniform.trust.epoch(1)!.counts.some((c) => c.agreements > 0), 'trust show still sees the evidence')
  assert.throws(() => tpbftParams({ rankByEvidence: 2 }), /rankByEvidence must be 0 or 1/)
  // The variant's records survive their codec (what the WAL stores).
  for (const { msg } of records.filter((r) => r.msg.type.startsWith('rec-') && r.msg.type !== 'rec-stable')) {
    const w = new Writer()
    tpbftCodec.encodeBody(msg as unknown as TpbftMessage, w)
    assert.deepEqual(tpbftCodec.decodeBody(msg.type, new Reader(w.finish()), { depth: 0 }), msg)
  }
})


test('inner complaints (E2): t votes of one epoch and view from its group count once; replays, strangers, short or unscheduled ones are refused', () => {
  const GROUP = ['a', 'b', 'c', 'd']
  // The schedule: view 0's group is a..d in every epoch (the replay case needs it to exist in epoch 1 too).
  const schedule = { group: (_epoch: number, view: number) => (view === 0 ? GROUP : undefined), threshold: () => 3 }
  const scheduled = () => new EvidenceCarrier({ validators, epochLength: EPOCH, verifier, codec: tpbftCodec, schedule })
  const vote = (id: string, epoch: number, acting = 1, view = 0) => signerOf(id).sign({ protocol: 'tpbft', type: 'inner-change', epoch, view, acting } as TpbftMessage)
  const codec = evidenceCodec(tpbftCodec)
  const carried = (seq: number, complaints: Signed<TpbftMessage>[]) => makeBatch([encodeEvidenceTx(seq, codec.encode([{ kind: 'inner-complaint', complaints }]))])

  // The proposer carries what it noted in a batch of that epoch, and stops once it is committed.
  const proposer = scheduled()
  proposer.noteInnerComplaint(0, 0, 1, ['b', 'c', 'd'].map((id) => vote(id, 0)))
  const txs = proposer.carry([clientTx(3)], 3)
  assert.equal(txs.length, 2)
  const replica = scheduled()
  replica.committed(3, makeBatch(txs), undefined)
  assert.equal(replica.ledger.recorded('inner/0/0/1'), 0)
  assert.deepEqual(['b', 'c', 'd'].map((id) => replica.ledger.counts(0, id, 'a').inner), [1, 1, 1])
  proposer.committed(3, makeBatch(txs), undefined)
  assert.deepEqual(proposer.carry([clientTx(4)], 4), [clientTx(4)], 'nothing left to carry')
  // A complaint noted in epoch 0 is never carried in epoch 1 (it would be refused there).
  const late = scheduled()
  late.noteInnerComplaint(0, 0, 1, ['b', 'c', 'd'].map((id) => vote(id, 0)))
  assert.deepEqual(late.carry([clientTx(EPOCH + 1)], EPOCH + 1), [clientTx(EPOCH + 1)])

  const refusedBy = (c: EvidenceCarrier, seq: number, complaints: Signed<TpbftMessage>[]): void => {
    const before = c.counters.refused
    c.committed(seq, carried(seq, complaints), undefined)
    assert.equal(c.counters.refused - before, 1)
  }
  const other = scheduled()
  // The same votes replayed into epoch 1, votes naming epoch 1 in a batch of epoch 0, two epochs mixed.
  refusedBy(other, EPOCH + 2, ['b', 'c', 'd'].map((id) => vote(id, 0)))
  refusedBy(other, 2, ['b', 'c', 'd'].map((id) => vote(id, 1)))
  refusedBy(other, 2, [vote('b', 0), vote('c', 0), vote('d', 1)])
  // Two votes of three, a voter outside the group, a view without a group, an index that accuses nobody.
  refusedBy(other, 2, ['b', 'c'].map((id) => vote(id, 0)))
  refusedBy(other, 2, ['b', 'c', 'e'].map((id) => vote(id, 0)))
  refusedBy(other, 2, ['b', 'c', 'd'].map((id) => vote(id, 0, 1, 5)))
  refusedBy(other, 2, ['b', 'c', 'd'].map((id) => vote(id, 0, 0)))
  // A forged signature.
  refusedBy(other, 2, ['b', 'c', 'd'].map((id) => vote(id, 0)).map((s, i) => (i === 0 ? { ...s, sig: new Uint8Array(s.sig.byteLength) } : s)))
  assert.equal(other.ledger.counts(0, 'b', 'a').inner + other.ledger.counts(1, 'b', 'a').inner, 0)
  // Without a schedule (or as view-change evidence, E3) nothing is blamed.
  refusedBy(carrier(), 2, ['b', 'c', 'd'].map((id) => vote(id, 0)))
  // E3: a quorum of view-changes to view 1 sent in epoch 0 (their stable checkpoints) blames view 0's group in
  // a batch of epoch 0: each signer rates each member but itself.
  const viewChangesAt = (stableSeq: number, signers = ['a', 'b', 'c', 'd', 'e']) => signers.map((id) => signerOf(id).sign({ protocol: 'tpbft', type: 'view-change', view: 1, stableSeq, stableRoot: new Uint8Array(32), checkpointProof: [], prepared: [] } as TpbftMessage))
  const blamer = scheduled()
  blamer.noteViewChanges(1, viewChangesAt(0))
  const withBlame = blamer.carry([clientTx(2)], 2)
  assert.equal(withBlame.length, 2, 'the blame is carried')
  const e3 = scheduled()
  e3.committed(2, makeBatch(withBlame), undefined)
  assert.equal(e3.counters.refused, 0)
  assert.deepEqual([e3.ledger.counts(0, 'e', 'a').viewChange, e3.ledger.counts(0, 'a', 'b').viewChange, e3.ledger.counts(0, 'a', 'a').viewChange, e3.ledger.counts(0, 'a', 'e').viewChange], [1, 1, 0, 0])
  blamer.committed(2, makeBatch(withBlame), undefined)
  assert.deepEqual(blamer.carry([clientTx(3)], 3), [clientTx(3)], 'carried once')
  // The same view-changes replayed into epoch 1 (where view 0 has a group too), view-changes of epoch 1 in a
  // batch of epoch 0, a mix of epochs, and short of a quorum: refused (a VIEW-CHANGE signs no epoch; its
  // stable checkpoint tells which one it was sent in).
  const vcBatch = (seq: number, viewChanges: Signed<TpbftMessage>[]) => makeBatch([encodeEvidenceTx(seq, codec.encode([{ kind: 'view-change', viewChanges }]))])
  for (const [seq, vcs] of [[EPOCH + 2, viewChangesAt(0)], [3, viewChangesAt(EPOCH)], [3, [...viewChangesAt(0, ['a', 'b', 'c', 'd']), ...viewChangesAt(EPOCH, ['e'])]], [3, viewChangesAt(0, ['a', 'b', 'c', 'd'])]] as const) {
    const before: number = e3.counters.refused
    e3.committed(seq, vcBatch(seq, [...vcs]), undefined)
    assert.equal(e3.counters.refused - before, 1, `refused at seq ${seq}`)
  }
  assert.equal(e3.ledger.counts(1, 'e', 'a').viewChange, 0)
  // A proposer does not carry view-changes of mixed epochs (they would be refused).
  const mixed = scheduled()
  mixed.noteViewChanges(1, [...viewChangesAt(0, ['a', 'b', 'c', 'd']), ...viewChangesAt(EPOCH, ['e'])])
  assert.deepEqual(mixed.carry([clientTx(2)], 2), [clientTx(2)])
  // The vote's epoch survives the codec.
  const w = new Writer()
  tpbftCodec.encodeBody(vote('b', 7).msg, w)
  assert.deepEqual(tpbftCodec.decodeBody('inner-change', new Reader(w.finish()), { depth: 0 }), vote('b', 7).msg)
})
