// T-PBFT's trust evidence: signed consensus messages that a proposer carries in a batch's metadata, that
// every replica verifies when the batch is applied, and that only then turn into ratings (design note
// TPBFT.md §4.2). Everything here is a pure function of committed bytes, so every honest node (including
// one restored from a snapshot, which gets the ledger with the state) holds the same ratings.
//
// API (stable; the tpbft protocol calls these):
//   Evidence<M>: one item: 'commits' (E1, co-signed commits of one committed slot), 'inner-complaint' (E2,
//     t signed INNER-CHANGEs of one view and acting index), 'view-change' (E3, the VIEW-CHANGEs of a
//     NEW-VIEW), 'equivocation' (E4, two conflicting messages of one signer).
//   evidenceCodec(protocolCodec) => { encode(items) -> bytes, decode(bytes) -> Result<items> }: the batch
//     metadata format (version byte, then a bounded list); embedded messages use the protocol's own codec.
//   verifyEvidence(ctx, item) => Result<EvidenceEffect>: signature checks through the injected verifier
//     (the domain-tagged MessageVerifier the protocol already has), shapes, thresholds; the effect is the
//     ratings, a conviction and a de-duplication key.
//   verifyEquivocation(ctx, a, b) => Result<ValidatorId>: the signer convicted by two conflicting messages.
//   TrustLedger: the per-epoch rating counts, convictions and applied keys (apply, counts, convicted,
//     prune, encode/decode with limits): the part of the replicated state trust is computed from.
//   evidenceCounts(ledger, ids, fromEpoch, toEpoch) => per-validator counts for status and `trust show`.
import { HASH_BYTES, bytesEqual, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { CodecError, Reader, Writer } from '../core/codec.ts'
import { encodeBody, readSigned, writeSigned } from '../core/message.ts'
import type { Message, MessageCodec, Signed } from '../core/message.ts'
import { err, ok } from '../core/result.ts'
import type { Result } from '../core/result.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'

/** Version byte of the evidence metadata and of the ledger encoding; decoders refuse others. */
export const EVIDENCE_VERSION = 1
/** Largest encoded evidence metadata one batch may carry (view-changes with their certificates are big). */
export const MAX_EVIDENCE_BYTES = 4 * 1024 * 1024
/** Most evidence items in one batch. */
export const MAX_EVIDENCE_ITEMS = 64
/** Most signed messages one item may hold (a commit certificate holds at most n). */
export const MAX_EVIDENCE_SIGNED = 1024
/** Largest encoded ledger a snapshot may carry. */
export const MAX_LEDGER_BYTES = 16 * 1024 * 1024
/** Most entries of each ledger table (epochs, pairs, keys, convictions). */
export const MAX_LEDGER_ENTRIES = 1 << 20

/** Message types two conflicting copies of which convict their signer by default: each names one digest
 *  per (view, seq) and an honest replica signs at most one. */
export const DEFAULT_EQUIVOCATION_KINDS: readonly string[] = ['group-share', 'pre-prepare', 'prepare', 'commit']

export type Evidence<M extends Message = Message> =
  /** E1: the COMMITs of one committed (view, seq, digest), from distinct validators (a quorum). */
  | { readonly kind: 'commits', readonly commits: readonly Signed<M>[] }
  /** E2: t INNER-CHANGEs of one (view, acting) from members of the view's group. */
  | { readonly kind: 'inner-complaint', readonly complaints: readonly Signed<M>[] }
  /** E3: a quorum of VIEW-CHANGEs to one view, as a NEW-VIEW carried them. */
  | { readonly kind: 'view-change', readonly viewChanges: readonly Signed<M>[] }
  /** E4: two messages of one signer for one (type, view, seq) naming different digests. */
  | { readonly kind: 'equivocation', readonly a: Signed<M>, readonly b: Signed<M> }

export type RatingKind = 'agree' | 'inner' | 'view-change'

/** One rating: rater's experience with ratee. 'agree' counts as satisfactory; the others unsatisfactory. */
export interface Rating {
  readonly rater: ValidatorId
  readonly ratee: ValidatorId
  readonly kind: RatingKind
}

/** What a verified item does to the ledger. `key` names the event it records (one commit slot, one inner
 *  failover, one new view, one conviction) so carrying the same event twice counts once. */
export interface EvidenceEffect {
  readonly key: string
  readonly ratings: readonly Rating[]
  readonly convict?: ValidatorId
}

/** What verification needs from the protocol: the engine's own verifier and view of the schedule. */
export interface EvidenceContext<M extends Message = Message> {
  readonly validators: ValidatorSet
  /** The protocol's MessageVerifier (domain-tagged, its codec). Checked after every shape check. */
  readonly verifier: { verify (s: Signed<M>): boolean }
  /** The protocol tag every embedded message must carry ('tpbft'). */
  readonly protocol: string
  /** Seq of the batch carrying the evidence. */
  readonly carriedAt: number
  /** The carrying batch's epoch, when views restart every epoch: it goes into the keys of E2 and E3, so
   *  view v of another epoch is another event. (The signed INNER-CHANGE / VIEW-CHANGE must then bind the
   *  epoch themselves, or group(view) must refuse views of other epochs, or old complaints replay.) */
  readonly epoch?: number
  /** A commit certificate names a seq in [carriedAt - maxCommitLag, carriedAt - 1]: old certificates
   *  cannot keep crediting a node that stopped signing. */
  readonly maxCommitLag: number
  /** The committed digest at `seq` (< carriedAt) when this replica knows it; a certificate for another
   *  digest is refused. Undefined (or returning undefined) skips that check. */
  readonly committedDigest?: (seq: number) => Hash | undefined
  /** The primary group of `view`, or undefined when the carrying batch may not complain about that view
   *  (another epoch, a fallback view): E2 and E3 for it are refused. */
  readonly group: (view: number) => readonly ValidatorId[] | undefined
  /** The member an INNER-CHANGE to `acting` in `view` moves away from (the acting proposer it accuses). */
  readonly innerAccused: (view: number, acting: number) => ValidatorId | undefined
  /** Co-signatures a group of `size` needs (t); an inner complaint needs as many INNER-CHANGEs. */
  readonly innerThreshold: (size: number) => number
  /** Group members a pre-prepare inside a view-change's prepared certificate proves active (its signer
   *  and, where the protocol can read it, its certificate's co-signers): they are exonerated from E3. */
  readonly activeIn?: (prePrepare: Signed<M>) => readonly ValidatorId[]
  /** The epoch a VIEW-CHANGE was sent in, from the stable checkpoint it names (a replica's epoch follows its
   *  stable checkpoint). With `epoch` set, E3 counts only view-changes of the carrying batch's epoch (a
   *  VIEW-CHANGE signs no epoch: replayed into a later one, it would blame whoever holds that view's window
   *  there), and is refused without this rule. */
  readonly stableEpoch?: (stableSeq: number) => number
  /** Message types E4 may convict on (default DEFAULT_EQUIVOCATION_KINDS). */
  readonly equivocationKinds?: readonly string[]
}

// ---- shapes: the messages are the protocol's, read structurally so this module needs only their fields.

const num = (m: Message, field: string): number | undefined => {
  const v = (m as unknown as Record<string, unknown>)[field]
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined
}
const digestOf = (m: Message): Hash | undefined => {
  const v = (m as unknown as Record<string, unknown>).digest
  return v instanceof Uint8Array && v.byteLength === HASH_BYTES ? v : undefined
}

/** Signers are distinct validators, at most n: checked before any signature, so duplicates or strangers cost
 *  the carrier the item, never the replicas a verification each. */
function distinctValidators (ctx: Pick<EvidenceContext, 'validators' | 'protocol'>, signed: readonly Signed<Message>[]): string | undefined {
  if (signed.length > ctx.validators.n) return `${signed.length} signed messages for ${ctx.validators.n} validators`
  const seen = new Set<string>()
  for (const s of signed) {
    if (!ctx.validators.has(s.from)) return `${s.from.slice(0, 64)} is not a validator`
    if (seen.has(s.from)) return `${s.from.slice(0, 64)} signed twice`
    if (s.msg.protocol !== ctx.protocol) return `a ${s.msg.protocol.slice(0, 40)} message in ${ctx.protocol} evidence`
    seen.add(s.from)
  }
  return undefined
}

const epochPart = (ctx: { readonly epoch?: number }): string => (ctx.epoch === undefined ? '' : `${ctx.epoch}/`)

const allSigned = <M extends Message>(ctx: EvidenceContext<M>, signed: readonly Signed<M>[]): boolean => signed.every((s) => ctx.verifier.verify(s))

function verifyCommits<M extends Message> (ctx: EvidenceContext<M>, commits: readonly Signed<M>[]): Result<EvidenceEffect> {
  const bad = distinctValidators(ctx, commits)
  if (bad !== undefined) return err(`commit evidence: ${bad}`)
  if (commits.length < ctx.validators.quorums.quorum) return err(`commit evidence: ${commits.length} commits, a quorum is ${ctx.validators.quorums.quorum}`)
  const first = commits[0].msg
  const view = num(first, 'view')
  const seq = num(first, 'seq')
  const digest = digestOf(first)
  if (view === undefined || seq === undefined || digest === undefined) return err('commit evidence: not a commit')
  for (const s of commits) {
    const d = digestOf(s.msg)
    if (s.msg.type !== 'commit' || num(s.msg, 'view') !== view || num(s.msg, 'seq') !== seq || d === undefined || !bytesEqual(d, digest)) return err('commit evidence: the commits differ in view, seq or digest')
  }
  if (seq < 1 || seq >= ctx.carriedAt || seq < ctx.carriedAt - ctx.maxCommitLag) return err(`commit evidence: seq ${seq} is outside [${ctx.carriedAt - ctx.maxCommitLag}, ${ctx.carriedAt - 1}]`)
  const committed = ctx.committedDigest?.(seq)
  if (committed !== undefined && !bytesEqual(committed, digest)) return err(`commit evidence: seq ${seq} committed another digest`)
  if (!allSigned(ctx, commits)) return err('commit evidence: a bad signature')
  const ratings: Rating[] = []
  const ids = commits.map((s) => s.from).sort()
  for (const i of ids) for (const j of ids) if (i !== j) ratings.push({ rater: i, ratee: j, kind: 'agree' })
  return ok({ key: `commit/${seq}`, ratings })
}

function verifyInnerComplaint<M extends Message> (ctx: EvidenceContext<M>, complaints: readonly Signed<M>[]): Result<EvidenceEffect> {
  const bad = distinctValidators(ctx, complaints)
  if (bad !== undefined) return err(`inner complaint: ${bad}`)
  if (complaints.length === 0) return err('inner complaint: no complaints')
  const view = num(complaints[0].msg, 'view')
  const acting = num(complaints[0].msg, 'acting')
  if (view === undefined || acting === undefined) return err('inner complaint: not an inner-change')
  if (complaints.some((s) => s.msg.type !== 'inner-change' || num(s.msg, 'view') !== view || num(s.msg, 'acting') !== acting)) return err('inner complaint: the inner-changes differ in view or acting index')
  // Inner-changes that name their epoch (T-PBFT's) count only in a batch of that epoch: replayed into a
  // later one, where view `view` has another group, they would blame whoever sits at that index now.
  const epochs = new Set(complaints.map((s) => num(s.msg, 'epoch')))
  if (epochs.size > 1) return err('inner complaint: the inner-changes differ in epoch')
  const signedEpoch = num(complaints[0].msg, 'epoch')
  if (signedEpoch !== undefined && ctx.epoch !== undefined && signedEpoch !== ctx.epoch) return err(`inner complaint: inner-changes of epoch ${signedEpoch} in a batch of epoch ${ctx.epoch}`)
  const group = ctx.group(view)
  if (group === undefined) return err(`inner complaint: view ${view} has no group this batch may complain about`)
  const accused = ctx.innerAccused(view, acting)
  if (accused === undefined || !group.includes(accused)) return err(`inner complaint: acting index ${acting} of view ${view} accuses no member`)
  if (complaints.some((s) => !group.includes(s.from))) return err('inner complaint: a complainer is not in the view\'s group')
  const t = ctx.innerThreshold(group.length)
  if (complaints.length < t) return err(`inner complaint: ${complaints.length} inner-changes, the group needs ${t}`)
  if (!allSigned(ctx, complaints)) return err('inner complaint: a bad signature')
  const ratings = complaints.map((s) => s.from).filter((id) => id !== accused).sort().map((rater): Rating => ({ rater, ratee: accused, kind: 'inner' }))
  return ok({ key: `inner/${epochPart(ctx)}${view}/${acting}`, ratings })
}

function verifyViewChanges<M extends Message> (ctx: EvidenceContext<M>, viewChanges: readonly Signed<M>[]): Result<EvidenceEffect> {
  const bad = distinctValidators(ctx, viewChanges)
  if (bad !== undefined) return err(`view-change evidence: ${bad}`)
  if (viewChanges.length < ctx.validators.quorums.quorum) return err(`view-change evidence: ${viewChanges.length} view-changes, a quorum is ${ctx.validators.quorums.quorum}`)
  const view = num(viewChanges[0].msg, 'view')
  if (view === undefined || view < 1) return err('view-change evidence: not a view-change')
  if (viewChanges.some((s) => s.msg.type !== 'view-change' || num(s.msg, 'view') !== view)) return err('view-change evidence: the view-changes name different views')
  if (ctx.epoch !== undefined) {
    const stableEpoch = ctx.stableEpoch
    if (stableEpoch === undefined) return err('view-change evidence: no rule for the epoch a view-change was sent in')
    if (viewChanges.some((s) => { const seq = num(s.msg, 'stableSeq'); return seq === undefined || stableEpoch(seq) !== ctx.epoch })) return err(`view-change evidence: view-changes sent in another epoch than the batch's (${ctx.epoch})`)
  }
  const failed = ctx.group(view - 1)
  if (failed === undefined) return err(`view-change evidence: view ${view - 1} has no group this batch may blame`)
  const exonerated = new Set<ValidatorId>()
  for (const s of viewChanges) {
    const prepared = (s.msg as unknown as { prepared?: unknown }).prepared
    if (!Array.isArray(prepared)) return err('view-change evidence: a view-change without prepared certificates')
    for (const cert of prepared as Array<{ prePrepare?: Signed<M> }>) {
      const pp = cert.prePrepare
      if (pp === undefined || num(pp.msg, 'view') !== view - 1) continue
      // The view-change's own signature covers its certificates, and the engine checked them before the
      // new view was installed; a pre-prepare here only ever spares a member, never blames one.
      exonerated.add(pp.from)
      for (const id of ctx.activeIn?.(pp) ?? []) exonerated.add(id)
    }
  }
  if (!allSigned(ctx, viewChanges)) return err('view-change evidence: a bad signature')
  const blamed = [...failed].filter((x) => !exonerated.has(x)).sort()
  const ratings: Rating[] = []
  for (const rater of viewChanges.map((s) => s.from).sort()) for (const x of blamed) if (x !== rater) ratings.push({ rater, ratee: x, kind: 'view-change' })
  return ok({ key: `view/${epochPart(ctx)}${view}`, ratings })
}

/** The signer two messages convict: both validly signed by one validator, the same type (one of the
 *  equivocation kinds), view and seq, different digests. Two copies of one message, or messages of
 *  different slots, signers or types prove nothing and are refused. */
export function verifyEquivocation<M extends Message> (ctx: Pick<EvidenceContext<M>, 'validators' | 'verifier' | 'protocol' | 'equivocationKinds'>, a: Signed<M>, b: Signed<M>): Result<ValidatorId> {
  const kinds = ctx.equivocationKinds ?? DEFAULT_EQUIVOCATION_KINDS
  if (a.from !== b.from) return err('equivocation: the messages have different signers')
  if (!ctx.validators.has(a.from)) return err(`equivocation: ${a.from.slice(0, 64)} is not a validator`)
  if (a.msg.protocol !== ctx.protocol || b.msg.protocol !== ctx.protocol) return err('equivocation: a message of another protocol')
  if (a.msg.type !== b.msg.type) return err(`equivocation: a ${a.msg.type.slice(0, 40)} and a ${b.msg.type.slice(0, 40)} do not conflict`)
  if (!kinds.includes(a.msg.type)) return err(`equivocation: ${a.msg.type.slice(0, 40)} messages are not convicting`)
  const [va, vb, sa, sb, da, db] = [num(a.msg, 'view'), num(b.msg, 'view'), num(a.msg, 'seq'), num(b.msg, 'seq'), digestOf(a.msg), digestOf(b.msg)]
  if (va === undefined || sa === undefined || da === undefined || vb === undefined || sb === undefined || db === undefined) return err('equivocation: a message without view, seq and digest')
  if (va !== vb || sa !== sb) return err(`equivocation: different slots (view ${va} seq ${sa}, view ${vb} seq ${sb})`)
  if (bytesEqual(da, db)) return err('equivocation: both messages name the same digest')
  if (!ctx.verifier.verify(a) || !ctx.verifier.verify(b)) return err('equivocation: a bad signature')
  return ok(a.from)
}

/** Checks one item against the committed context; the effect is what applying it records. */
export function verifyEvidence<M extends Message> (ctx: EvidenceContext<M>, item: Evidence<M>): Result<EvidenceEffect> {
  switch (item.kind) {
    case 'commits': return verifyCommits(ctx, item.commits)
    case 'inner-complaint': return verifyInnerComplaint(ctx, item.complaints)
    case 'view-change': return verifyViewChanges(ctx, item.viewChanges)
    case 'equivocation': {
      const convicted = verifyEquivocation(ctx, item.a, item.b)
      return convicted.ok ? ok({ key: `convict/${convicted.value}`, ratings: [], convict: convicted.value }) : convicted
    }
  }
}

// ---- the metadata codec

const TAGS = { commits: 1, 'inner-complaint': 2, 'view-change': 3, equivocation: 4 } as const

export interface EvidenceCodec<M extends Message> {
  encode (items: readonly Evidence<M>[]): Uint8Array
  /** Never throws: truncated, oversized, over-long or malformed input is an error. */
  decode (bytes: Uint8Array): Result<Evidence<M>[]>
}

/** The evidence metadata of a batch: [version u8][u32 count][item]*, item = [tag u8] then a list of signed
 *  messages (E1-E3) or two signed messages (E4), each in the protocol codec's signed envelope. */
export function evidenceCodec<M extends Message> (codec: MessageCodec<M>): EvidenceCodec<M> {
  const signedList = (r: Reader): Signed<M>[] => r.list((r) => readSigned(r, codec, { depth: 1 }), MAX_EVIDENCE_SIGNED)
  return {
    encode (items) {
      if (items.length > MAX_EVIDENCE_ITEMS) throw new RangeError(`${items.length} evidence items exceed ${MAX_EVIDENCE_ITEMS}`)
      const w = new Writer().u8(EVIDENCE_VERSION)
      w.list(items, (w, item) => {
        w.u8(TAGS[item.kind])
        const write = (list: readonly Signed<M>[]): void => { w.list(list, (w, s) => writeSigned(w, codec, s)) }
        switch (item.kind) {
          case 'commits': write(item.commits); return
          case 'inner-complaint': write(item.complaints); return
          case 'view-change': write(item.viewChanges); return
          case 'equivocation': writeSigned(w, codec, item.a); writeSigned(w, codec, item.b)
        }
      })
      const out = w.finish()
      if (out.byteLength > MAX_EVIDENCE_BYTES) throw new RangeError(`evidence of ${out.byteLength} bytes exceeds ${MAX_EVIDENCE_BYTES}`)
      return out
    },
    decode (bytes) {
      if (bytes.byteLength > MAX_EVIDENCE_BYTES) return err(`evidence of ${bytes.byteLength} bytes exceeds ${MAX_EVIDENCE_BYTES}`)
      try {
        const r = new Reader(bytes)
        const version = r.u8('evidence version')
        if (version !== EVIDENCE_VERSION) throw new CodecError(`unknown evidence version ${version}`)
        const items = r.list((r): Evidence<M> => {
          const tag = r.u8('evidence tag')
          switch (tag) {
            case TAGS.commits: return { kind: 'commits', commits: signedList(r) }
            case TAGS['inner-complaint']: return { kind: 'inner-complaint', complaints: signedList(r) }
            case TAGS['view-change']: return { kind: 'view-change', viewChanges: signedList(r) }
            case TAGS.equivocation: return { kind: 'equivocation', a: readSigned(r, codec, { depth: 1 }), b: readSigned(r, codec, { depth: 1 }) }
            default: throw new CodecError(`unknown evidence tag ${tag}`)
          }
        }, MAX_EVIDENCE_ITEMS)
        r.end('the evidence')
        return ok(items)
      } catch (e) {
        return err(e instanceof CodecError ? e.message : `malformed evidence: ${(e as Error).message}`)
      }
    }
  }
}

/** The bytes of a signed message's body as its codec encodes them (for logging an equivocation). */
export const bodyHex = <M extends Message>(codec: MessageCodec<M>, s: Signed<M>): string => toHex(encodeBody(codec, s.msg))

// ---- the ledger: rating counts per epoch, the replicated input of the trust computation

/** Counts of one (rater, ratee) pair in one epoch. */
export interface PairCounts {
  /** E1: committed slots both signed a commit for. */
  readonly agree: number
  /** E2: inner failovers the rater voted for away from the ratee. */
  readonly inner: number
  /** E3: view changes the rater signed while the ratee was an unexonerated member of the failed group. */
  readonly viewChange: number
}

const ZERO_COUNTS: PairCounts = { agree: 0, inner: 0, viewChange: 0 }
const pairKey = (rater: ValidatorId, ratee: ValidatorId): string => `${rater}\n${ratee}`
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Everything trust is computed from: per epoch, the counts of every (rater, ratee) pair, the keys of the
 * events already recorded (so one event carried twice counts once), and the convictions (permanent). The
 * encoding is canonical (sorted), so two ledgers built from the same events in any order encode to the
 * same bytes; it travels in the replicated state and its snapshots.
 */
export class TrustLedger {
  readonly #epochs = new Map<number, Map<string, PairCounts>>()
  /** event key -> epoch it was recorded in. */
  readonly #keys = new Map<string, number>()
  /** convicted validator -> epoch of the conviction. */
  readonly #convicted = new Map<ValidatorId, number>()

  /** Records a verified effect in `epoch` (the carrying batch's); false when its event was already recorded
   *  (nothing changes). */
  apply (epoch: number, effect: EvidenceEffect): boolean {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`)
    if (this.#keys.has(effect.key)) return false
    if (effect.convict !== undefined && this.#convicted.has(effect.convict)) return false
    this.#keys.set(effect.key, epoch)
    if (effect.convict !== undefined) this.#convicted.set(effect.convict, epoch)
    if (effect.ratings.some((r) => r.rater !== r.ratee)) {
      let pairs = this.#epochs.get(epoch)
      if (pairs === undefined) {
        pairs = new Map()
        this.#epochs.set(epoch, pairs)
      }
      for (const r of effect.ratings) {
        if (r.rater === r.ratee) continue
        const k = pairKey(r.rater, r.ratee)
        const c = pairs.get(k) ?? ZERO_COUNTS
        pairs.set(k, r.kind === 'agree' ? { ...c, agree: c.agree + 1 } : r.kind === 'inner' ? { ...c, inner: c.inner + 1 } : { ...c, viewChange: c.viewChange + 1 })
      }
    }
    return true
  }

  /** Counts of (rater, ratee) in `epoch`. */
  counts (epoch: number, rater: ValidatorId, ratee: ValidatorId): PairCounts {
    return this.#epochs.get(epoch)?.get(pairKey(rater, ratee)) ?? ZERO_COUNTS
  }

  /** Epochs holding any rating, ascending. */
  epochs (): number[] { return [...this.#epochs.keys()].sort((a, b) => a - b) }

  isConvicted (id: ValidatorId): boolean { return this.#convicted.has(id) }

  /** Convicted validators with the epoch of their conviction, sorted by id. */
  convicted (): Array<[ValidatorId, number]> { return [...this.#convicted.entries()].sort((a, b) => cmp(a[0], b[0])) }

  /** Whether an event was recorded (and in which epoch). */
  recorded (key: string): number | undefined { return this.#keys.get(key) }

  /** A copy holding only what was recorded in epochs below `epoch`: the ledger as of the checkpoint that
   *  closed epoch - 1, whatever a replica committed after it (the input of epoch `epoch`'s configuration). */
  before (epoch: number): TrustLedger {
    const out = new TrustLedger()
    for (const [e, pairs] of this.#epochs) if (e < epoch) out.#epochs.set(e, new Map(pairs))
    for (const [k, e] of this.#keys) if (e < epoch) out.#keys.set(k, e)
    for (const [id, e] of this.#convicted) if (e < epoch) out.#convicted.set(id, e)
    return out
  }

  /** Drops ratings and event keys of epochs below `epoch` (outside every future trust window). Convictions
   *  stay. An event key dropped here belongs to a slot or view the context already refuses as too old. */
  prune (epoch: number): void {
    for (const e of [...this.#epochs.keys()]) if (e < epoch) this.#epochs.delete(e)
    for (const [k, e] of [...this.#keys]) if (e < epoch && !k.startsWith('convict/')) this.#keys.delete(k)
  }

  /** Drops the event keys starting with `prefix` recorded below `epoch` (ratings stay): for events the
   *  context already refuses as too old, so the keys only cost space. */
  forgetKeys (prefix: string, epoch: number): void {
    for (const [k, e] of [...this.#keys]) if (e < epoch && k.startsWith(prefix)) this.#keys.delete(k)
  }

  /** Calls `fn` for every pair with counts in `epoch`, in no particular order (insertion order, which
   *  differs between nodes): only for order-independent uses such as integer sums. */
  forEachPair (epoch: number, fn: (rater: ValidatorId, ratee: ValidatorId, counts: PairCounts) => void): void {
    const pairs = this.#epochs.get(epoch)
    if (pairs === undefined) return
    for (const [k, c] of pairs) {
      const cut = k.indexOf('\n')
      fn(k.slice(0, cut), k.slice(cut + 1), c)
    }
  }

  /** [version u8][ids: sorted, every id some pair names][epochs: (u64 epoch, pairs: (u32 rater index,
   *  u32 ratee index, agree u32, inner u32, viewChange u32))][keys: (key, u64 epoch)][convicted: (id, u64
   *  epoch)], every list sorted: one encoding per ledger. Ids are written once, so n^2 pairs cost 20 bytes
   *  each rather than two peer ids. */
  encode (): Uint8Array {
    const epochs = this.epochs()
    const used = new Set<string>()
    const sorted = new Map<number, Array<[string, PairCounts]>>()
    for (const e of epochs) {
      const pairs = [...this.#epochs.get(e)!.entries()].sort((a, b) => cmp(a[0], b[0]))
      sorted.set(e, pairs)
      for (const [k] of pairs) { const cut = k.indexOf('\n'); used.add(k.slice(0, cut)); used.add(k.slice(cut + 1)) }
    }
    const ids = [...used].sort(cmp)
    const index = new Map(ids.map((id, i) => [id, i]))
    const w = new Writer(1024).u8(EVIDENCE_VERSION)
    w.list(ids, (w, id) => { w.str(id) })
    w.list(epochs, (w, e) => {
      w.u64(e)
      w.list(sorted.get(e)!, (w, [k, c]) => {
        const cut = k.indexOf('\n')
        w.u32(index.get(k.slice(0, cut))!).u32(index.get(k.slice(cut + 1))!).u32(c.agree).u32(c.inner).u32(c.viewChange)
      })
    })
    w.list([...this.#keys.entries()].sort((a, b) => cmp(a[0], b[0])), (w, [k, e]) => { w.str(k).u64(e) })
    w.list(this.convicted(), (w, [id, e]) => { w.str(id).u64(e) })
    return w.finish()
  }

  /** Never throws; refuses unsorted (non-canonical) or oversized input. */
  static decode (bytes: Uint8Array): Result<TrustLedger> {
    if (bytes.byteLength > MAX_LEDGER_BYTES) return err(`trust ledger of ${bytes.byteLength} bytes exceeds ${MAX_LEDGER_BYTES}`)
    try {
      const r = new Reader(bytes)
      const version = r.u8('ledger version')
      if (version !== EVIDENCE_VERSION) throw new CodecError(`unknown trust ledger version ${version}`)
      const ledger = new TrustLedger()
      const ascending = (prev: string | number | undefined, next: string | number, what: string): void => {
        if (prev !== undefined && !(prev < next)) throw new CodecError(`${what} not in canonical order`)
      }
      let prevId: string | undefined
      const ids = r.list((r) => {
        const id = r.str()
        if (id.includes('\n')) throw new CodecError('malformed ledger id')
        ascending(prevId, id, 'ledger ids')
        prevId = id
        return id
      }, MAX_LEDGER_ENTRIES)
      const used = new Set<number>()
      let prevEpoch: number | undefined
      r.list((r) => {
        const e = r.u64('epoch')
        ascending(prevEpoch, e, 'ledger epochs')
        prevEpoch = e
        const pairs = new Map<string, PairCounts>()
        let prevPair: number | undefined
        r.list((r) => {
          const i = r.u32('rater index')
          const j = r.u32('ratee index')
          if (i >= ids.length || j >= ids.length || i === j) throw new CodecError('malformed ledger pair')
          // (i, j) ascending as one number: ids are sorted, so this is the canonical (rater, ratee) order.
          const order = i * ids.length + j
          ascending(prevPair, order, 'ledger pairs')
          prevPair = order
          used.add(i).add(j)
          pairs.set(pairKey(ids[i], ids[j]), { agree: r.u32(), inner: r.u32(), viewChange: r.u32() })
        }, MAX_LEDGER_ENTRIES)
        if (pairs.size === 0) throw new CodecError(`ledger epoch ${e} has no pairs`)
        ledger.#epochs.set(e, pairs)
      }, MAX_LEDGER_ENTRIES)
      if (used.size !== ids.length) throw new CodecError('ledger ids name a validator no pair uses')
      // A string -> epoch map, its keys strictly ascending (so one ledger has one encoding).
      const readEpochMap = (into: Map<string, number>, what: string, epochWhat: string): void => {
        let prev: string | undefined
        r.list((r) => {
          const k = r.str()
          ascending(prev, k, what)
          prev = k
          into.set(k, r.u64(epochWhat))
        }, MAX_LEDGER_ENTRIES)
      }
      readEpochMap(ledger.#keys, 'ledger keys', 'key epoch')
      readEpochMap(ledger.#convicted, 'convictions', 'conviction epoch')
      r.end('the trust ledger')
      return ok(ledger)
    } catch (e) {
      return err(e instanceof CodecError ? e.message : `malformed trust ledger: ${(e as Error).message}`)
    }
  }
}

/** One validator's evidence over an epoch range, for `status`, the admin API and `trust show`. */
export interface EvidenceCounts {
  readonly id: ValidatorId
  /** Distinct (peer, epoch) agreements received: what EigenTrust credits (saturated at 1 per pair and epoch). */
  readonly agreements: number
  /** Committed slots co-signed with any peer, counted per peer (unsaturated). */
  readonly coSigned: number
  /** Inner-failover votes received (E2). */
  readonly innerComplaints: number
  /** View-change blames received (E3). */
  readonly viewChangeBlames: number
  /** Epoch of the conviction, if convicted. */
  readonly convictedAt?: number
}

/** Counts received by each of `ids` over epochs [fromEpoch, toEpoch], in the order of `ids`. */
export function evidenceCounts (ledger: TrustLedger, ids: readonly ValidatorId[], fromEpoch: number, toEpoch: number): EvidenceCounts[] {
  const convicted = new Map(ledger.convicted())
  return ids.map((ratee) => {
    let agreements = 0
    let coSigned = 0
    let innerComplaints = 0
    let viewChangeBlames = 0
    for (const e of ledger.epochs()) {
      if (e < fromEpoch || e > toEpoch) continue
      for (const rater of ids) {
        if (rater === ratee) continue
        const c = ledger.counts(e, rater, ratee)
        agreements += Math.min(c.agree, 1)
        coSigned += c.agree
        innerComplaints += c.inner
        viewChangeBlames += c.viewChange
      }
    }
    const at = convicted.get(ratee)
    return { id: ratee, agreements, coSigned, innerComplaints, viewChangeBlames, ...(at === undefined ? {} : { convictedAt: at }) }
  })
}
