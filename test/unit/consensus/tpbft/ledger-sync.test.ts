// The certified ledger across restarts (ledger-sync.ts): a replica back from a crash re-commits batches whose
// evidence its restored ledger already holds, yet signs at each checkpoint the hash of the ledger as of that
// checkpoint's commit (the one its never-crashed peers signed); and one that crashed while it waited for a
// certified ledger asks for it again before it enters the epoch.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import type { Tx } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner, MessageVerifier } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { PersistedRecord } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'
import { EvidenceCarrier, TpbftVariant, ledgerHash, tpbftCodec, tpbftParams } from '../../../../src/consensus/tpbft/index.ts'
import type { TpbftMessage } from '../../../../src/consensus/tpbft/index.ts'
import type { VariantHost } from '../../../../src/consensus/three-phase/variant.ts'
import type { CheckpointMsg, Commit, ThreePhaseMessage } from '../../../../src/consensus/three-phase/messages.ts'

const IDS = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const GENESIS = sha256(new TextEncoder().encode('tpbft-ledger-sync'))
const EPOCH = 8
const CHECKPOINT = 4
const verifier = new MessageVerifier<TpbftMessage>(new FakeVerifier(), tpbftCodec, GENESIS)
const signerOf = (id: string) => new MessageSigner<TpbftMessage>(new FakeSigner(id), tpbftCodec, GENESIS)
const digestOf = (seq: number) => sha256(new TextEncoder().encode(`batch ${seq}`))
/** Each checkpoint's state root (distinct, so an epoch's tie-break seed is one of them). */
const rootOf = (seq: number): Uint8Array => sha256(new TextEncoder().encode(`state root ${seq}`))
/** A commit quorum (3 of 4) without 'd'. */
const certOf = (seq: number): Signed<Commit>[] =>
  ['a', 'b', 'c'].map((id) => signerOf(id).sign({ protocol: 'tpbft', type: 'commit', view: 0, seq, digest: digestOf(seq) } as TpbftMessage) as unknown as Signed<Commit>)

/** Batches 1..last, each carrying the commit certificate of the one before it. */
function batches (last: number): Array<{ seq: number, txs: Tx[], cert: Signed<Commit>[] }> {
  const proposer = new EvidenceCarrier({ validators, epochLength: EPOCH, verifier, codec: tpbftCodec })
  const out: Array<{ seq: number, txs: Tx[], cert: Signed<Commit>[] }> = []
  for (let seq = 1; seq <= last; seq++) {
    const txs = proposer.carry([new TextEncoder().encode(`tx ${seq}`)], seq)
    out.push({ seq, txs, cert: certOf(seq) })
    proposer.committed(seq, makeBatch(txs), certOf(seq))
  }
  return out
}

interface Replica { readonly v: TpbftVariant, readonly records: PersistedRecord<ThreePhaseMessage>[], readonly sent: Array<{ to: readonly string[], msg: TpbftMessage }> }

function replicaOf (self: string): Replica {
  const v = new TpbftVariant(validators, tpbftParams({ epochLength: EPOCH, checkpointInterval: CHECKPOINT, watermarkWindow: 8, rankByEvidence: 1 }), verifier)
  const records: PersistedRecord<ThreePhaseMessage>[] = []
  const sent: Array<{ to: readonly string[], msg: TpbftMessage }> = []
  const signer = signerOf(self)
  v.attach({
    self,
    now: () => 0,
    view: () => 0,
    viewChanging: () => false,
    stableSeq: () => 0,
    lastCommitted: () => 0,
    hasWork: () => false,
    sign: (msg: ThreePhaseMessage) => signer.sign(msg as unknown as TpbftMessage),
    send: (to: readonly string[], s: Signed<ThreePhaseMessage>) => { sent.push({ to, msg: s.msg as unknown as TpbftMessage }) },
    persist: (seq: number, msg: ThreePhaseMessage) => { records.push({ seq, msg }) },
    arm: () => {},
    disarm: () => {},
    log: () => {}
  } as unknown as VariantHost)
  return { v, records, sent }
}

const all = batches(3 * EPOCH)
const commit = (r: Replica, b: { seq: number, txs: Tx[], cert: Signed<Commit>[] }): void =>
  r.v.observe({ kind: 'committed', seq: b.seq, view: 0, primary: 'a', batch: makeBatch(b.txs), cert: b.cert })

/** Replica `a` having committed every batch through `last`, each checkpoint made stable by a, b and c. */
function serverThrough (last: number): Replica {
  const server = replicaOf('a')
  for (const b of all.slice(0, last)) {
    commit(server, b)
    if (b.seq % CHECKPOINT === 0) server.v.observe({ kind: 'stable', seq: b.seq, stateRoot: rootOf(b.seq), extra: server.v.checkpointExtra(b.seq, rootOf(b.seq)), signers: ['a', 'b', 'c'] })
  }
  return server
}

/** What a never-crashed replica signs at every checkpoint up to 3E. */
function reference (): Map<number, string> {
  const r = replicaOf('a')
  const extras = new Map<number, string>()
  for (const b of all) {
    commit(r, b)
    if (b.seq % CHECKPOINT !== 0) continue
    const extra = r.v.checkpointExtra(b.seq, rootOf(b.seq))
    assert.ok(extra !== undefined)
    extras.set(b.seq, toHex(extra))
    r.v.observe({ kind: 'stable', seq: b.seq, stateRoot: rootOf(b.seq), extra, signers: ['a', 'b', 'c'] })
  }
  return extras
}

test('a restarted replica that re-commits what its restored ledger holds signs the ledger as of each checkpoint', () => {
  const expected = reference()
  const before = replicaOf('b')
  const stableAt = EPOCH
  // Commits up to E + 6, stable only up to E (the checkpoint at E + 4 never gathered its quorum), then crashes.
  for (const b of all.slice(0, EPOCH + 6)) {
    commit(before, b)
    if (b.seq % CHECKPOINT === 0 && b.seq <= stableAt) before.v.observe({ kind: 'stable', seq: b.seq, stateRoot: rootOf(b.seq), extra: before.v.checkpointExtra(b.seq, rootOf(b.seq)), signers: ['a', 'b', 'c'] })
  }
  assert.ok(before.records.some((r) => r.msg.type === 'rec-evidence' as string && r.seq > EPOCH + 4), 'evidence of seqs after the next checkpoint was persisted')
  // What the engine persisted with the stable checkpoint at E (its proof carries the hash it certified).
  const extra = before.v.ledger.bytesAt(EPOCH)
  assert.ok(extra !== undefined)
  const proof = ['a', 'b', 'c'].map((id) => signerOf(id).sign({ protocol: 'tpbft', type: 'checkpoint', seq: EPOCH, stateRoot: rootOf(EPOCH), extra: ledgerHash(extra) } as TpbftMessage) as unknown as Signed<CheckpointMsg>)
  before.records.push({ seq: EPOCH, msg: { protocol: 'tpbft', type: 'rec-stable', seq: EPOCH, stateRoot: rootOf(EPOCH), proof, view: 0, viewChanging: false } })
  // Its state machine had executed only up to E: the batches after it commit again, after the restart.
  const after = replicaOf('b')
  after.v.restore(before.records)
  assert.equal(after.v.config.epoch, 1)
  for (const b of all.slice(EPOCH, 2 * EPOCH)) commit(after, b)
  assert.equal(toHex(after.v.checkpointExtra(EPOCH + 4, rootOf(EPOCH + 4))!), expected.get(EPOCH + 4), 'the capture leaves out the evidence of E+5 and E+6 it already held')
  assert.equal(toHex(after.v.checkpointExtra(2 * EPOCH, rootOf(2 * EPOCH))!), expected.get(2 * EPOCH))
})

test('a replica that crashed while it waited for the certified ledger asks for it again and only then enters the epoch', () => {
  const expected = reference()
  const server = serverThrough(2 * EPOCH)
  const certified = server.v.ledger.bytesAt(2 * EPOCH)!
  assert.equal(toHex(ledgerHash(certified)), expected.get(2 * EPOCH))
  // Its records: the stable checkpoint at 2E (proof with the ledger hash) and no ledger of it.
  const proof = ['a', 'b', 'c'].map((id) => signerOf(id).sign({ protocol: 'tpbft', type: 'checkpoint', seq: 2 * EPOCH, stateRoot: rootOf(2 * EPOCH), extra: ledgerHash(certified) } as TpbftMessage) as unknown as Signed<CheckpointMsg>)
  const records: PersistedRecord<ThreePhaseMessage>[] = [{ seq: 2 * EPOCH, msg: { protocol: 'tpbft', type: 'rec-stable', seq: 2 * EPOCH, stateRoot: rootOf(2 * EPOCH), proof, view: 0, viewChanging: false } }]
  const back = replicaOf('d')
  back.v.restore(records)
  assert.equal(back.v.ledger.pending, 2 * EPOCH)
  assert.equal(back.v.config.epoch, 0, 'no configuration before the certified ledger')
  back.v.afterInput()
  const ask = back.sent.find((s) => s.msg.type === 'ledger-request')
  assert.ok(ask !== undefined && ['a', 'b', 'c'].includes(ask.to[0]))
  server.v.onMessage('d', signerOf('d').sign(ask.msg) as unknown as Signed<ThreePhaseMessage>)
  const reply = server.sent.find((s) => s.msg.type === 'ledger')
  assert.ok(reply !== undefined && reply.to[0] === 'd')
  back.v.onMessage('a', signerOf('a').sign(reply.msg) as unknown as Signed<ThreePhaseMessage>)
  assert.equal(back.v.config.epoch, 2)
  assert.equal(toHex(back.v.config.hash), toHex(server.v.config.hash))
  assert.ok(back.records.some((r) => r.msg.type === 'rec-ledger' as string && r.seq === 2 * EPOCH), 'the installed ledger is persisted for the next restart')
})

test('a peer is answered once per resend period, and only for a ledger it holds', () => {
  const server = serverThrough(EPOCH)
  const ask = (seq: number) => server.v.onMessage('d', signerOf('d').sign({ protocol: 'tpbft', type: 'ledger-request', seq } as TpbftMessage) as unknown as Signed<ThreePhaseMessage>)
  ask(3 * EPOCH)
  assert.equal(server.sent.length, 0, 'no ledger for a checkpoint it never reached')
  for (let i = 0; i < 5; i++) ask(EPOCH)
  assert.equal(server.sent.filter((s) => s.msg.type === 'ledger').length, 1)
})

test('a replica whose own ledger differs from the certified one (its state came from elsewhere) replaces it by the certified one', () => {
  const expected = reference()
  const server = serverThrough(2 * EPOCH)
  // Its state was restored to E outside consensus (no WAL): it commits from E + 1 with an empty ledger.
  const odd = replicaOf('d')
  for (const b of all.slice(EPOCH, 2 * EPOCH)) commit(odd, b)
  assert.notEqual(toHex(odd.v.checkpointExtra(2 * EPOCH, rootOf(2 * EPOCH))!), expected.get(2 * EPOCH), 'its own capture misses the evidence before E')
  odd.v.observe({ kind: 'stable', seq: 2 * EPOCH, stateRoot: rootOf(2 * EPOCH), extra: ledgerHash(server.v.ledger.bytesAt(2 * EPOCH)!), signers: ['a', 'b', 'c'] })
  assert.equal(odd.v.ledger.counters.mismatched, 1)
  assert.equal(odd.v.ledger.pending, 2 * EPOCH)
  odd.v.afterInput()
  const ask = odd.sent.find((s) => s.msg.type === 'ledger-request')!
  server.v.onMessage('d', signerOf('d').sign(ask.msg) as unknown as Signed<ThreePhaseMessage>)
  const reply = server.sent.find((s) => s.msg.type === 'ledger')!
  odd.v.onMessage('a', signerOf('a').sign(reply.msg) as unknown as Signed<ThreePhaseMessage>)
  assert.equal(odd.v.ledger.pending, undefined)
  assert.equal(toHex(odd.v.config.hash), toHex(server.v.config.hash))
  assert.deepEqual(odd.v.evidence.ledger.encode(), server.v.evidence.ledger.encode())
})
