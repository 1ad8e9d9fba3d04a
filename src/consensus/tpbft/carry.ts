// How T-PBFT's trust evidence reaches the ledger (design note TPBFT.md §4.2): the proposer puts the
// evidence it holds (the commit certificate of the latest batch it committed: who co-signed a commit;
// equivocation proofs it caught; the t inner-change votes of an inner failover it saw, a complaint against
// the member the group moved away from) into one consensus-metadata transaction at the head of its batch; every
// replica verifies that transaction when the batch commits and applies what passes to its TrustLedger in
// commit order. The ledger is then a function of the committed batches alone, so every honest replica that
// committed them computes the same configuration at the epoch's closing checkpoint. Pure: no I/O, no clock.
//
// Bounds: one evidence transaction per batch, at most MAX_CARRIED_ITEMS items and MAX_CARRIED_BYTES bytes,
// naming its own seq (a copy carried at another seq is refused). Refusals are counted, never fatal: the batch
// still commits, the evidence in it counts for nothing. An inner complaint (E2) counts only with the
// schedule (CarrierOptions.schedule: the groups of the carrying batch's epoch) and only in a batch of the
// epoch its votes name; view-change evidence (E3: the quorum of VIEW-CHANGEs of an installed NEW-VIEW, blaming
// the failed view's group) counts only in a batch of the epoch those view-changes were sent in (their stable
// checkpoints' epoch), and is left out when it does not fit the evidence transaction.
import { META_TX_TAG, batchBytes, isMetaTx } from '../core/batch.ts'
import type { Batch, Tx } from '../core/batch.ts'
import { Reader, Writer } from '../core/codec.ts'
import { MAX_BATCH_BYTES, MAX_TX_BYTES } from '../core/limits.ts'
import type { MessageCodec, MessageVerifier, Signed } from '../core/message.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { Commit } from '../three-phase/messages.ts'
import { TrustLedger, evidenceCodec, verifyEvidence } from './evidence.ts'
import type { Evidence, EvidenceContext } from './evidence.ts'
import { TPBFT } from './messages.ts'
import type { TpbftMessage } from './messages.ts'

/** Kind byte after META_TX_TAG: T-PBFT's evidence. */
const EVIDENCE_META_KIND = 1
/** Most evidence items one batch carries (below the codec's MAX_EVIDENCE_ITEMS). */
export const MAX_CARRIED_ITEMS = 16
/** Most bytes of one evidence transaction (a commit certificate of n = 31 is about 6 KB). */
export const MAX_CARRIED_BYTES = MAX_TX_BYTES

/** What this replica saw of the evidence it carried and applied (status, metrics, tests). */
export interface CarryCounters { carried: number, applied: number, duplicate: number, refused: number }

/** META_TX_TAG, kind, u64 seq, evidence bytes. */
export function encodeEvidenceTx (seq: number, evidence: Uint8Array): Tx {
  const body = new Writer(evidence.byteLength + 16).u8(EVIDENCE_META_KIND).u64(seq).bytes(evidence).finish()
  const out = new Uint8Array(META_TX_TAG.byteLength + body.byteLength)
  out.set(META_TX_TAG)
  out.set(body, META_TX_TAG.byteLength)
  return out
}

/** The seq and evidence bytes of an evidence transaction; undefined for any other transaction; a string
 *  (the reason) for a malformed one. */
export function decodeEvidenceTx (tx: Tx): { readonly seq: number, readonly evidence: Uint8Array } | string | undefined {
  if (!isMetaTx(tx)) return undefined
  if (tx.byteLength > MAX_CARRIED_BYTES) return `evidence transaction of ${tx.byteLength} bytes exceeds ${MAX_CARRIED_BYTES}`
  try {
    const r = new Reader(tx.subarray(META_TX_TAG.byteLength))
    if (r.u8('meta kind') !== EVIDENCE_META_KIND) return 'not a T-PBFT evidence transaction'
    const seq = r.u64()
    const evidence = r.bytes(MAX_CARRIED_BYTES, 'evidence')
    r.end('the evidence transaction')
    return { seq, evidence }
  } catch (e) {
    return `malformed evidence transaction: ${(e as Error).message}`
  }
}

export interface CarrierOptions {
  readonly validators: ValidatorSet
  readonly epochLength: number
  readonly verifier: MessageVerifier<TpbftMessage>
  readonly codec: MessageCodec<TpbftMessage>
  /** Whether the configurations rank by the evidence (rankingInput). */
  readonly ranks?: boolean
  /** Who may be complained about (E2): the primary group of `view` in `epoch` (undefined: none), and the
   *  co-signatures, so also the inner-change votes, a group of `size` needs. Without it E2 is refused. A
   *  pure function of the committed state, so every replica verifies alike (also replaying its WAL). */
  readonly schedule?: { group (epoch: number, view: number): readonly ValidatorId[] | undefined, threshold (size: number): number }
}

/** Key of the inner failover in `view` of `epoch` to acting index `acting` (the ledger's key for E2). */
const innerKey = (epoch: number, view: number, acting: number): string => `inner/${epoch}/${view}/${acting}`
/** Key of the view change to `view` in `epoch` (the ledger's key for E3). */
const viewKey = (epoch: number, view: number): string => `view/${epoch}/${view}`

const EMPTY_LEDGER = new TrustLedger()

/** One replica's side of the evidence: what it would carry as proposer, and the ledger of what committed. */
export class EvidenceCarrier {
  readonly counters: CarryCounters = { carried: 0, applied: 0, duplicate: 0, refused: 0 }
  #ledger = new TrustLedger()
  readonly #opts: CarrierOptions
  readonly #codec
  /** The newest commit certificate this replica decided on (what it carries next as proposer). */
  #latest: { readonly seq: number, readonly commits: readonly Signed<TpbftMessage>[] } | undefined
  /** Equivocation proofs caught here and not yet committed, by signer. */
  readonly #proofs = new Map<ValidatorId, readonly [Signed<TpbftMessage>, Signed<TpbftMessage>]>()
  /** Inner failovers this replica saw voted (t votes each), not yet committed, by ledger key. */
  readonly #complaints = new Map<string, { readonly epoch: number, readonly votes: readonly Signed<TpbftMessage>[] }>()
  /** View changes this replica installed (a quorum of VIEW-CHANGEs each), not yet committed, by ledger key. */
  readonly #blames = new Map<string, { readonly epoch: number, readonly viewChanges: readonly Signed<TpbftMessage>[] }>()

  constructor (opts: CarrierOptions) {
    this.#opts = opts
    this.#codec = evidenceCodec(opts.codec)
  }

  get ledger (): TrustLedger { return this.#ledger }

  /** What batches of epochs before `epoch` carried (the evidence counts `trust show` prints). */
  ledgerFor (epoch: number): TrustLedger { return this.#ledger.before(epoch) }

  /** Epoch `epoch`'s ranking input: ledgerFor(epoch) when the ranking follows the evidence, else none
   *  (params.ts, rankByEvidence). */
  rankingInput (epoch: number): TrustLedger { return this.#opts.ranks === true ? this.ledgerFor(epoch) : EMPTY_LEDGER }

  /** A proof (both signatures checked by the caller or not: it is verified again on commit) to carry. */
  noteEquivocation (a: Signed<TpbftMessage>, b: Signed<TpbftMessage>): void {
    if (!this.#ledger.isConvicted(a.from) && this.#proofs.size < MAX_CARRIED_ITEMS) this.#proofs.set(a.from, [a, b])
  }

  /** The t inner-change votes (of one epoch, view and acting index) that moved a group past its acting
   *  member: a complaint to carry in a batch of that epoch. */
  noteInnerComplaint (epoch: number, view: number, acting: number, votes: readonly Signed<TpbftMessage>[]): void {
    const key = innerKey(epoch, view, acting)
    if (this.#ledger.recorded(key) === undefined && this.#complaints.size < MAX_CARRIED_ITEMS) this.#complaints.set(key, { epoch, votes })
  }

  /** The VIEW-CHANGEs of a NEW-VIEW this replica installed: a blame of the failed view's group to carry in a
   *  batch of the epoch they were sent in (one epoch for all of them, or they prove nothing). */
  noteViewChanges (view: number, viewChanges: readonly Signed<TpbftMessage>[]): void {
    const epochs = new Set(viewChanges.map((s) => Math.floor(((s.msg as { stableSeq?: number }).stableSeq ?? -1) / this.#opts.epochLength)))
    if (epochs.size !== 1) return
    const [epoch] = epochs
    const key = viewKey(epoch, view)
    if (epoch >= 0 && this.#ledger.recorded(key) === undefined && this.#blames.size < MAX_CARRIED_ITEMS) this.#blames.set(key, { epoch, viewChanges })
  }

  /** The proposer's batch at `seq`: its evidence transaction first (when it holds evidence not yet
   *  committed and it fits the batch budget), then the transactions. */
  carry (txs: Tx[], seq: number): Tx[] {
    const items: Evidence<TpbftMessage>[] = []
    for (const [id, [a, b]] of this.#proofs) {
      if (this.#ledger.isConvicted(id)) this.#proofs.delete(id)
      else if (items.length < MAX_CARRIED_ITEMS - 1) items.push({ kind: 'equivocation', a, b })
    }
    const epoch = Math.floor((seq - 1) / this.#opts.epochLength)
    for (const [key, c] of this.#complaints) {
      // Only a batch of the votes' epoch may carry them; one of a later epoch never will.
      if (this.#ledger.recorded(key) !== undefined || c.epoch < epoch) this.#complaints.delete(key)
      else if (c.epoch === epoch && items.length < MAX_CARRIED_ITEMS - 1) items.push({ kind: 'inner-complaint', complaints: c.votes })
    }
    const blames: Evidence<TpbftMessage>[] = []
    for (const [key, b] of this.#blames) {
      if (this.#ledger.recorded(key) !== undefined || b.epoch < epoch) this.#blames.delete(key)
      else if (b.epoch === epoch && items.length + blames.length < MAX_CARRIED_ITEMS - 1) blames.push({ kind: 'view-change', viewChanges: b.viewChanges })
    }
    const latest = this.#latest
    if (latest !== undefined && latest.seq < seq && latest.seq >= seq - this.#opts.epochLength && this.#ledger.recorded(`commit/${latest.seq}`) === undefined) {
      items.push({ kind: 'commits', commits: latest.commits })
    }
    if (items.length + blames.length === 0) return txs
    const fits = (tx: Tx): boolean => tx.byteLength <= MAX_CARRIED_BYTES && batchBytes(txs) + 4 + tx.byteLength <= MAX_BATCH_BYTES
    let tx = encodeEvidenceTx(seq, this.#codec.encode([...blames, ...items]))
    if (!fits(tx) && blames.length > 0) {
      // VIEW-CHANGEs carry their prepared certificates: a blame too large to carry never will be.
      for (const [key, b] of this.#blames) if (b.epoch === epoch) this.#blames.delete(key)
      if (items.length === 0) return txs
      tx = encodeEvidenceTx(seq, this.#codec.encode(items))
    }
    if (!fits(tx)) return txs
    this.counters.carried++
    return [tx, ...txs]
  }

  /** A committed batch, in commit order: remembers its certificate for carrying, and applies the evidence
   *  the batch carried. Returns the evidence bytes it applied (to persist), or undefined. */
  committed (seq: number, batch: Batch | undefined, cert: readonly Signed<Commit>[] | undefined): Uint8Array | undefined {
    if (cert !== undefined && cert.length >= this.#opts.validators.quorums.quorum) this.#latest = { seq, commits: cert as unknown as readonly Signed<TpbftMessage>[] }
    if (batch === undefined) return undefined
    let applied: Uint8Array | undefined
    for (const tx of batch.txs) {
      const carried = decodeEvidenceTx(tx)
      if (carried === undefined) continue
      if (typeof carried === 'string' || carried.seq !== seq || applied !== undefined) {
        // Malformed, carried at another seq (a replay), or a second evidence transaction in one batch.
        this.counters.refused++
        continue
      }
      if (this.apply(seq, carried.evidence)) applied = carried.evidence
    }
    return applied
  }

  /** Verifies and applies evidence carried at `seq` (also when replaying the WAL after a restart: the
   *  ledger ignores events it already holds). False when the whole of it was refused. */
  apply (seq: number, evidence: Uint8Array): boolean {
    const decoded = this.#codec.decode(evidence)
    if (!decoded.ok || decoded.value.length > MAX_CARRIED_ITEMS) {
      this.counters.refused++
      return false
    }
    const epoch = Math.floor((seq - 1) / this.#opts.epochLength)
    const ctx: EvidenceContext<TpbftMessage> = {
      validators: this.#opts.validators,
      verifier: this.#opts.verifier,
      protocol: TPBFT,
      carriedAt: seq,
      epoch,
      maxCommitLag: this.#opts.epochLength,
      // E2 and E3 against the groups of the carrying batch's epoch (none without a schedule).
      group: (view) => this.#opts.schedule?.group(epoch, view),
      stableEpoch: (stableSeq) => Math.floor(stableSeq / this.#opts.epochLength),
      // A vote to acting index k moves the group away from the member at k - 1 (votes go one step at a time).
      innerAccused: (view, acting) => (acting >= 1 ? this.#opts.schedule?.group(epoch, view)?.[acting - 1] : undefined),
      innerThreshold: (size) => this.#opts.schedule?.threshold(size) ?? size
    }
    for (const item of decoded.value) {
      const effect = verifyEvidence(ctx, item)
      if (!effect.ok) this.counters.refused++
      else if (this.#ledger.apply(epoch, effect.value)) this.counters.applied++
      else this.counters.duplicate++
    }
    return true
  }

  /** Replaces the ledger with a persisted one (restore: the snapshot taken at a stable checkpoint). */
  load (bytes: Uint8Array): boolean {
    const decoded = TrustLedger.decode(bytes)
    if (!decoded.ok) return false
    this.#ledger = decoded.value
    return true
  }

  /** Drops what no future configuration reads (convictions stay), and the keys of commits no batch of
   *  `epoch` may carry (a certificate is at most one epoch older than its carrier), so the ledger persisted
   *  at each checkpoint does not grow with every batch of the trust window. */
  prune (epoch: number, windowEpochs: number): void {
    this.#ledger.prune(epoch - windowEpochs)
    this.#ledger.forgetKeys('commit/', epoch - 1)
  }
}
