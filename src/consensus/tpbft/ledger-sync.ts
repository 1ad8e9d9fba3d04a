// The trust ledger as part of what a stable checkpoint certifies (issue 12, Deliver 2). At each checkpoint
// seq a replica hashes its ledger as of the commit of seq (canonical: the same pruning whatever it did
// after) and signs that hash into its checkpoint next to the state root (ThreePhaseVariant.checkpointExtra),
// so the checkpoint certificate (2f+1 matching votes) certifies the ledger too. A replica that reaches a
// stable checkpoint without that ledger (it skipped the batches by state transfer, or its own differs from
// the certified one) fetches the bytes from a signer of the certificate, refuses any whose hash is not the
// certified one, and only then holds the ledger epoch configurations are computed from.
//
// Why here and not in the state transfer: the ledger is protocol data, and the state layer stays
// protocol-agnostic; a fetch between replicas needs no change to the driver, the node or the simulator,
// and the certificate makes a Byzantine peer's bytes useless (it can delay, never alter, what is used).
//
// The tie-break seed travels the same way (issue 12, Deliver 1): epoch e's ranking breaks ties by a hash of
// the state root of checkpoint e*E, the one that opened it. A replica that committed that checkpoint knows
// the root (it computed it, and its certificate certifies it); one that reached a later checkpoint of the
// epoch by state transfer never saw it. So what a checkpoint certifies is the ledger together with its
// epoch's seed (CertifiedLedger), and the fetched bytes bring both.
//
// What a replica keeps: `base`, the certified ledger at its newest stable checkpoint (persisted as
// rec-ledger, and what it serves to peers), the evidence committed after it (rec-evidence, replayed on a
// restart and onto a fetched base), its captures at checkpoints above the base (bounded by the watermark
// window), and the seeds of the epochs it may still rank (rec-seed). Pure: no I/O and no clock but the host's.
import { bytesEqual, HASH_BYTES, sha256, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { Reader, Writer } from '../core/codec.ts'
import type { PersistedRecord } from '../core/protocol.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { ThreePhaseMessage } from '../three-phase/messages.ts'
import type { VariantHost } from '../three-phase/variant.ts'
import type { EvidenceCarrier } from './carry.ts'
import { MAX_LEDGER_BYTES, TrustLedger } from './evidence.ts'
import { TPBFT } from './messages.ts'
import type { TpbftMessage } from './messages.ts'

export const TPBFT_LEDGER_TIMER = `${TPBFT}/ledger`

/** Domain tag of the ledger hash a checkpoint carries. */
const LEDGER_HASH_TAG = new TextEncoder().encode('novacron/tpbft-ledger\0')

/** A fetch asks this many signers at once (a lost message or a crashed signer then rarely costs a retry:
 *  the replica waits, out of the epoch, until it holds the ledger); the ledger is a few KB to a few hundred. */
const LEDGER_FANOUT = 2
/** A fetch that has not answered by its retry time goes to the next signers, after a doubling wait. */
const LEDGER_RETRY_RESENDS = 1
const MAX_LEDGER_DOUBLINGS = 3

export function ledgerHash (bytes: Uint8Array): Hash { return sha256(LEDGER_HASH_TAG, bytes) }

/** What a checkpoint at seq certifies of T-PBFT's own data: the trust ledger as of its commit, and the
 *  tie-break seed of the epoch the checkpoint is in (epoch = floor(seq / E): the state root of checkpoint
 *  epoch*E; zeros for epoch 0, which no checkpoint opened). */
export interface CertifiedLedger { readonly epoch: number, readonly seed: Hash, readonly ledger: Uint8Array }

/** Largest encoded CertifiedLedger: the ledger and its seed. */
export const MAX_CERTIFIED_LEDGER_BYTES = MAX_LEDGER_BYTES + 64

export const NO_SEED: Hash = new Uint8Array(HASH_BYTES)

export function encodeCertifiedLedger (c: CertifiedLedger): Uint8Array {
  return new Writer().u64(c.epoch).bytes(c.seed).bytes(c.ledger).finish()
}

/** The parts of certified-ledger bytes, or undefined when they are not exactly one envelope. The ledger inside
 *  is not decoded here: whoever loads it does that once (EvidenceCarrier.load, TrustLedger.decode). */
export function decodeCertifiedLedger (bytes: Uint8Array): CertifiedLedger | undefined {
  try {
    const r = new Reader(bytes)
    const c = { epoch: r.u64(), seed: r.fixed(HASH_BYTES, 'tie-break seed').slice(), ledger: r.bytes(MAX_LEDGER_BYTES, 'trust ledger').slice() }
    r.end()
    return c
  } catch {
    return undefined
  }
}

export interface LedgerSyncOptions {
  readonly validators: ValidatorSet
  readonly checkpointInterval: number
  readonly epochLength: number
  /** Epochs of ratings a configuration reads (the live ledger is pruned to them at each epoch start). */
  readonly windowEpochs: number
  readonly resendIntervalMs: number
  /** The replica's live carrier (its ledger is replaced when a certified one is fetched). */
  readonly carrier: EvidenceCarrier
  /** A new, empty carrier with the same options: rebuilds the ledger as of an earlier checkpoint. */
  readonly freshCarrier: () => EvidenceCarrier
}

/** What this replica saw of ledger transfers (status, tests). */
export interface LedgerSyncCounters { fetched: number, refused: number, served: number, mismatched: number }

/** A ledger as of a checkpoint's commit; `bytes` and `hash` (the certified form) once its epoch's seed is known. */
interface Capture { readonly ledger: Uint8Array, bytes?: Uint8Array, hash?: Hash }
interface Base { readonly seq: number, readonly bytes: Uint8Array, readonly ledger: Uint8Array }
interface Pending { readonly seq: number, readonly hash: Hash, readonly from: readonly ValidatorId[], attempt: number, retryAt: number }

/** Epoch of a seq (seqs (e*E, (e+1)*E] are epoch e). */
const epochOfSeq = (seq: number, epochLength: number): number => Math.max(0, Math.floor((seq - 1) / epochLength))
/** The epoch a stable checkpoint at seq puts a replica in (the one whose seed its certified ledger holds). */
const epochAtCheckpoint = (seq: number, epochLength: number): number => Math.floor(seq / epochLength)
const EMPTY_BASE: Base = (() => {
  const ledger = new TrustLedger().encode()
  return { seq: 0, ledger, bytes: encodeCertifiedLedger({ epoch: 0, seed: NO_SEED, ledger }) }
})()

export class LedgerSync {
  readonly counters: LedgerSyncCounters = { fetched: 0, refused: 0, served: 0, mismatched: 0 }
  readonly #o: LedgerSyncOptions
  /** The ledger certified (or, without a certified hash, this replica's own) at its newest stable checkpoint. */
  #base: Base = EMPTY_BASE
  /** The base before it, still served to a peer a little behind. */
  #previous: Base | undefined
  /** Tie-break seeds by epoch (the state root of checkpoint epoch*E), of the epochs still to be ranked. */
  readonly #seeds = new Map<number, Hash>()
  /** Evidence committed above the base, by seq (what a fetched base is completed with). */
  readonly #since = new Map<number, Uint8Array>()
  /** Highest seq whose evidence the live ledger holds (above a re-commit after a restart). */
  #through = 0
  /** This replica's ledger at checkpoints above the base, as of their commit. */
  readonly #captured = new Map<number, Capture>()
  /** The certified ledger this replica waits for. */
  #pending: Pending | undefined
  /** What each peer was last answered, and when (one ledger per peer and checkpoint per resend period). */
  readonly #answered = new Map<ValidatorId, { readonly seq: number, readonly at: number }>()

  constructor (opts: LedgerSyncOptions) { this.#o = opts }

  /** Whether the live ledger is not yet the certified one of the newest stable checkpoint. */
  get pending (): number | undefined { return this.#pending?.seq }

  /** The hash signed into this replica's checkpoint at `seq` (undefined: none captured, e.g. while it waits
   *  for a certified ledger). */
  extra (seq: number): Hash | undefined { return this.#certified(seq)?.hash }

  /** The certified-ledger bytes served for `seq` (tests, status). */
  bytesAt (seq: number): Uint8Array | undefined {
    if (this.#base.seq === seq) return this.#base.bytes
    if (this.#previous?.seq === seq) return this.#previous.bytes
    return this.#certified(seq)?.bytes
  }

  /** The tie-break seed of `epoch` (undefined: this replica has not learned it yet). */
  seed (epoch: number): Hash | undefined { return epoch === 0 ? NO_SEED : this.#seeds.get(epoch) }

  /** The state root at checkpoint `seq`: this replica's own once it executed seq, the certified one when seq
   *  became stable (which wins). At an epoch's first checkpoint it is that epoch's seed, persisted. */
  noteRoot (h: VariantHost, seq: number, root: Hash, certified: boolean): void {
    if (seq === 0 || seq % this.#o.epochLength !== 0) return
    const epoch = seq / this.#o.epochLength
    const known = this.#seeds.get(epoch)
    if (known !== undefined && (bytesEqual(known, root) || !certified)) return
    this.#learnSeed(epoch, root)
    h.persist(seq, { protocol: TPBFT, type: 'rec-seed', seq, root } as unknown as ThreePhaseMessage)
  }

  /** A batch committed at `seq` (after the live carrier applied it); `applied`: its evidence bytes. */
  committed (seq: number, applied: Uint8Array | undefined): void {
    if (applied !== undefined && seq > this.#base.seq) {
      this.#since.set(seq, applied)
      this.#through = Math.max(this.#through, seq)
    }
    if (seq % this.#o.checkpointInterval !== 0 || this.#pending !== undefined || seq <= this.#base.seq) return
    // The live ledger holds evidence of later seqs only after a restart re-commits what it had committed.
    const capture = this.#through > seq ? this.#rebuild(seq) : this.#canonical(this.#o.carrier.ledger, seq)
    if (capture !== undefined) this.#captured.set(seq, capture)
  }

  /** Checkpoint `seq` became stable; `extra`: the ledger hash its certificate certified, `signers` who
   *  signed it. True when the live ledger is the certified one (or none was certified); false while the
   *  certified ledger is being fetched. */
  stable (h: VariantHost, seq: number, extra: Uint8Array | undefined, signers: readonly ValidatorId[] | undefined): boolean {
    const own = this.#certified(seq)
    if (extra === undefined) {
      // A certificate without a ledger hash (signers that captured none): nothing to check against.
      if (own !== undefined) this.#adopt(h, seq, own)
      return this.#pending === undefined
    }
    if (own !== undefined && bytesEqual(own.hash, extra)) {
      this.#pending = undefined
      this.#adopt(h, seq, own)
      return true
    }
    if (own !== undefined) {
      this.counters.mismatched++
      h.log({ type: 'ledger-mismatch', seq, own: toHex(own.hash), certified: toHex(extra) })
    }
    if (this.#pending?.seq === seq) return false
    const from = (signers ?? this.#o.validators.ids).filter((id) => id !== h.self)
    this.#pending = { seq, hash: extra, from: from.length > 0 ? from : this.#o.validators.others(h.self), attempt: 0, retryAt: 0 }
    // Its captures are of the ledger now in doubt (or of none): signed again only from a certified base.
    this.#captured.clear()
    return false
  }

  /** Sends the pending request when due (after every input: the first right after a restart). */
  tick (h: VariantHost): void {
    const p = this.#pending
    if (p === undefined || h.now() < p.retryAt) return
    const count = Math.min(LEDGER_FANOUT, p.from.length)
    const to = Array.from({ length: count }, (_, i) => p.from[(p.attempt * count + i) % p.from.length])
    p.attempt++
    const wait = LEDGER_RETRY_RESENDS * this.#o.resendIntervalMs * 2 ** Math.min(p.attempt - 1, MAX_LEDGER_DOUBLINGS)
    p.retryAt = h.now() + wait
    h.send(to, h.sign({ protocol: TPBFT, type: 'ledger-request', seq: p.seq } as unknown as ThreePhaseMessage))
    h.arm(TPBFT_LEDGER_TIMER, wait)
    h.log({ type: 'ledger-fetch', seq: p.seq, from: to.join(','), attempt: p.attempt - 1 })
  }

  /** A peer asks for the ledger at `seq`: answered when this replica holds it, once per checkpoint and
   *  resend period (a peer that moved on to a newer checkpoint is answered at once). */
  onRequest (h: VariantHost, peer: ValidatorId, seq: number): void {
    const bytes = this.bytesAt(seq)
    if (bytes === undefined || peer === h.self) return
    const last = this.#answered.get(peer)
    if (last !== undefined && last.seq >= seq && h.now() - last.at < this.#o.resendIntervalMs) return
    this.#answered.set(peer, { seq, at: h.now() })
    this.counters.served++
    h.send([peer], h.sign({ protocol: TPBFT, type: 'ledger', seq, ledger: bytes } as unknown as ThreePhaseMessage))
  }

  /** Ledger bytes from a peer: installed only if they hash to the certified ledger of the pending
   *  checkpoint (then the evidence committed above it is applied again). True when installed. */
  onLedger (h: VariantHost, peer: ValidatorId, seq: number, bytes: Uint8Array): boolean {
    const p = this.#pending
    if (p === undefined || seq !== p.seq) return false
    if (!bytesEqual(ledgerHash(bytes), p.hash)) return this.#refuse(h, peer, seq, 'its hash is not the certified one')
    const certified = decodeCertifiedLedger(bytes)
    if (certified === undefined || certified.epoch !== epochAtCheckpoint(seq, this.#o.epochLength) || !this.#o.carrier.load(certified.ledger)) return this.#refuse(h, peer, seq, 'malformed')
    this.#pending = undefined
    this.counters.fetched++
    this.#learnSeed(certified.epoch, certified.seed)
    this.#adopt(h, seq, { ...certified, bytes })
    this.#through = seq
    for (const [s, evidence] of [...this.#since.entries()].sort(([a], [b]) => a - b)) {
      this.#o.carrier.apply(s, evidence)
      this.#through = s
    }
    // Checkpoints this replica committed past the fetched one while it waited (its captures then were of
    // the stale ledger): captured again from the certified base.
    for (let c = seq + this.#o.checkpointInterval; c <= h.lastCommitted(); c += this.#o.checkpointInterval) {
      const capture = this.#rebuild(c)
      if (capture !== undefined) this.#captured.set(c, capture)
    }
    h.disarm(TPBFT_LEDGER_TIMER)
    h.log({ type: 'ledger-installed', seq, from: peer })
    return true
  }

  /** Rebuilds the live ledger after a restart: the newest persisted base, then the evidence committed
   *  after it, in seq order. The newest stable checkpoint above that base (this replica crashed while it
   *  waited for a certified ledger, or before it persisted its own) is fetched again. */
  restore (records: readonly PersistedRecord<ThreePhaseMessage>[]): void {
    const own = records.map((r) => r.msg as unknown as TpbftMessage)
    let base: (Base & { readonly epoch: number, readonly seed: Hash }) | undefined
    for (const m of own) {
      if (m.type === 'rec-seed') this.#learnSeed(m.seq / this.#o.epochLength, m.root)
      if (m.type !== 'rec-ledger' || (base !== undefined && m.seq < base.seq)) continue
      const certified = decodeCertifiedLedger(m.ledger)
      if (certified !== undefined && TrustLedger.decode(certified.ledger).ok) base = { seq: m.seq, bytes: m.ledger, ledger: certified.ledger, epoch: certified.epoch, seed: certified.seed }
    }
    if (base !== undefined) {
      this.#o.carrier.load(base.ledger)
      this.#base = { seq: base.seq, bytes: base.bytes, ledger: base.ledger }
      this.#through = base.seq
      if (!this.#seeds.has(base.epoch)) this.#learnSeed(base.epoch, base.seed)
    }
    const later = own.filter((m) => m.type === 'rec-evidence' && m.seq > this.#base.seq) as Array<Extract<TpbftMessage, { type: 'rec-evidence' }>>
    for (const m of later.sort((a, b) => a.seq - b.seq)) {
      this.#o.carrier.apply(m.seq, m.evidence)
      this.#since.set(m.seq, m.evidence)
      this.#through = Math.max(this.#through, m.seq)
    }
    let stable: Extract<TpbftMessage, { type: 'rec-stable' }> | undefined
    for (const m of own) if (m.type === 'rec-stable' && (stable === undefined || m.seq > stable.seq)) stable = m
    // The newest stable checkpoint's certified root: an epoch's seed when it is the epoch's first.
    if (stable !== undefined && stable.seq % this.#o.epochLength === 0 && !this.#seeds.has(stable.seq / this.#o.epochLength)) this.#learnSeed(stable.seq / this.#o.epochLength, stable.stateRoot)
    const extra = stable?.proof[0]?.msg.extra
    if (stable !== undefined && stable.seq > this.#base.seq && extra !== undefined) {
      const from = stable.proof.map((s) => s.from)
      this.#pending = { seq: stable.seq, hash: extra, from: from.length > 0 ? from : this.#o.validators.ids, attempt: 0, retryAt: 0 }
    }
  }

  #refuse (h: VariantHost, peer: ValidatorId, seq: number, reason: string): false {
    this.counters.refused++
    h.log({ type: 'ledger-refused', from: peer, seq, reason })
    return false
  }

  /** The certified (or own) ledger at stable checkpoint `seq`: persisted, served, the base of rebuilds. */
  #adopt (h: VariantHost, seq: number, c: { readonly bytes: Uint8Array, readonly ledger: Uint8Array }): void {
    if (seq < this.#base.seq) return
    if (seq > this.#base.seq) this.#previous = this.#base
    this.#base = { seq, bytes: c.bytes, ledger: c.ledger }
    for (const s of [...this.#since.keys()]) if (s <= seq) this.#since.delete(s)
    for (const s of [...this.#captured.keys()]) if (s <= seq) this.#captured.delete(s)
    // Seeds of epochs before this checkpoint's are read by no later configuration.
    const epoch = epochAtCheckpoint(seq, this.#o.epochLength)
    for (const e of [...this.#seeds.keys()]) if (e < epoch) this.#seeds.delete(e)
    h.persist(seq, { protocol: TPBFT, type: 'rec-ledger', seq, ledger: c.bytes } as unknown as ThreePhaseMessage)
  }

  #learnSeed (epoch: number, root: Hash): void {
    if (Number.isInteger(epoch) && epoch > 0 && root.byteLength === HASH_BYTES) this.#seeds.set(epoch, root.slice())
  }

  /** The certified form of this replica's capture at checkpoint `seq`, once its epoch's seed is known. */
  #certified (seq: number): { readonly bytes: Uint8Array, readonly hash: Hash, readonly ledger: Uint8Array } | undefined {
    const capture = this.#captured.get(seq)
    if (capture === undefined) return undefined
    if (capture.bytes === undefined || capture.hash === undefined) {
      const epoch = epochAtCheckpoint(seq, this.#o.epochLength)
      const seed = this.seed(epoch)
      if (seed === undefined) return undefined
      capture.bytes = encodeCertifiedLedger({ epoch, seed, ledger: capture.ledger })
      capture.hash = ledgerHash(capture.bytes)
    }
    return { bytes: capture.bytes, hash: capture.hash, ledger: capture.ledger }
  }

  /** The ledger as of the commit of checkpoint `seq`, from the base and the evidence committed up to seq. */
  #rebuild (seq: number): Capture | undefined {
    if (seq <= this.#base.seq) return undefined
    const carrier = this.#o.freshCarrier()
    if (!carrier.load(this.#base.ledger)) return undefined
    for (const [s, evidence] of [...this.#since.entries()].sort(([a], [b]) => a - b)) if (s <= seq) carrier.apply(s, evidence)
    return this.#canonical(carrier.ledger, seq)
  }

  /** A copy of `ledger` pruned as at the start of seq's epoch (what the live ledger holds then, whenever this
   *  replica entered that epoch), encoded and hashed: one value for every replica that committed up to seq. */
  #canonical (ledger: TrustLedger, seq: number): Capture {
    const epoch = epochOfSeq(seq, this.#o.epochLength)
    const copy = ledger.before(Number.MAX_SAFE_INTEGER)
    copy.prune(epoch - this.#o.windowEpochs)
    copy.forgetKeys('commit/', epoch - 1)
    return { ledger: copy.encode() }
  }
}
