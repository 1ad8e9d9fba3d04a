// The three-phase engine (Castro-Liskov PBFT's structure) as a pure state machine: three-phase ordering of
// batches, checkpoints with garbage collection, view change with prepared certificates, and state transfer
// for a replica left behind. Who leads, who receives a vote and what decides a phase are the variant's.
// Every input returns the effects to perform; persist effects precede the messages that depend on them.
import { bytesEqual, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { EMPTY_BATCH, batchBytes, batchFull, makeBatch, overBatchBudget, splitByBatchBudget, txId, txKey } from '../core/batch.ts'
import type { Batch, Tx } from '../core/batch.ts'
import { CheckpointVotes } from '../core/checkpoint-votes.ts'
import { HelpLimiter } from '../core/help.ts'
import { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, MAX_WAL_RECORD_BYTES, RECORD_OVERHEAD_BYTES } from '../core/limits.ts'
import { ParamError } from '../core/module.ts'
import { encodeBody } from '../core/message.ts'
import type { MessageSigner, MessageVerifier, Signed } from '../core/message.ts'
import { Outbox } from '../core/outbox.ts'
import type { Checkpoint, Effect, PersistedRecord, Protocol, ProtocolStatus, TimerId } from '../core/protocol.ts'
import type { Quorums } from '../core/quorum.ts'
import { TxTracker } from '../core/tx-tracker.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import { newViewBytesBound, newViewProposals, validViewChange, viewChangeShape } from './certificates.ts'
import { MAX_PROOF_BYTES } from './codec.ts'
import type { CertContext, NewViewPlan } from './certificates.ts'
import type { MessageCodec } from '../core/message.ts'
import type { BatchReply, BatchRequest, CheckpointMsg, Commit, Decided, FullPrePrepare, NewView, ThreePhaseMessage, ThreePhaseRecord, PrePrepare, Prepare, PreparedCert, Status, ViewChange } from './messages.ts'
import { threePhaseParams } from './params.ts'
import type { ThreePhaseParams } from './params.ts'
import type { Phase, ThreePhaseVariant, VariantHost, VotePolicy } from './variant.ts'

export interface ReplicaOptions {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  readonly signer: MessageSigner<ThreePhaseMessage>
  readonly verifier: MessageVerifier<ThreePhaseMessage>
  readonly params?: Partial<ThreePhaseParams>
  readonly variant: ThreePhaseVariant
  /** The variant's codec: threePhaseCodec(variant.protocol, variant has proofs). */
  readonly codec: MessageCodec<ThreePhaseMessage>
}

type Fx = Effect<ThreePhaseMessage>[]

interface Slot {
  pp?: Signed<FullPrePrepare>
  readonly prepares: Map<ValidatorId, Signed<Prepare>>
  readonly commits: Map<ValidatorId, Signed<Commit>>
  prepared: boolean
  committed: boolean
  /** When this replica first heard of the slot: only slots stuck longer than a resend period are resent. */
  readonly since: number
  /** When the slot's messages may next be resent: the wait doubles with each resend (RESEND_MAX_DOUBLINGS),
   *  so a saturated cluster whose slots take longer than a period is not flooded with copies. */
  resendAt: number
  resends: number
  /** As its proposer: replicas sent the batch of a proposal named by ids (each asks at most once). */
  readonly batchSentTo: Set<ValidatorId>
}

interface Decision { readonly batch: Batch, readonly view: number, readonly primary: ValidatorId, readonly cert: readonly Signed<Commit>[] }

/** The timers of variant `tag`. */
export const threePhaseTimers = (tag: string) => ({ viewChange: `${tag}/view-change`, batch: `${tag}/batch`, relay: `${tag}/relay`, resend: `${tag}/resend` }) as const

/** Bytes of later-view messages a replica holds at most (a full watermark window of its own view's traffic
 *  fits in far less with sane batch sizes). */
const MAX_FUTURE_BYTES = 64 * 1024 * 1024
/** A stuck slot is resent after 1, 2, 4, then every 8 resend periods: enough for a lost message on a
 *  healthy cluster, few copies on a saturated one. */
const RESEND_MAX_DOUBLINGS = 3
/** Without progress, pending client transactions go to the primary every period; with progress (the primary
 *  is live and was relayed them once), only every this many periods. */
const REQUEST_RESEND_PERIODS_WHILE_PROGRESSING = 8

/** A state transfer gets this many resend periods to install before it is retried (the wait doubles with
 *  each retry, up to MAX_FETCH_DOUBLINGS times). */
const FETCH_RETRY_RESENDS = 2
const MAX_FETCH_DOUBLINGS = 3
/** Doubling stops here so the timeout cannot overflow. */
const MAX_TIMEOUT_DOUBLINGS = 16
/** Batches answered to one peer per resend period at most (at least one batch goes): a peer asking for a
 *  whole window of large batches gets them over several periods, not in one burst. */
const BATCH_REPLY_BYTES_PER_ROUND = MAX_MESSAGE_BYTES
/** Largest new-view (and so rec-new-view body) a replica accepts or sends: its record fits the WAL. */
const MAX_NEW_VIEW_BYTES = MAX_WAL_RECORD_BYTES - RECORD_OVERHEAD_BYTES
/** Batches kept per sequence number: the prepared certificate's and the latest accepted ones. */
const BATCHES_PER_SEQ = 2

/** A pre-prepare without its batch: what certificates and new-views carry (the signature covers the digest). */
const headerOf = (pp: Signed<PrePrepare>): Signed<PrePrepare> =>
  pp.msg.batch === undefined && pp.msg.txIds === undefined ? pp : { from: pp.from, sig: pp.sig, msg: { protocol: pp.msg.protocol, type: pp.msg.type, view: pp.msg.view, seq: pp.msg.seq, digest: pp.msg.digest } }
const withBatch = (pp: Signed<PrePrepare>, batch: Batch): Signed<FullPrePrepare> => ({ from: pp.from, sig: pp.sig, msg: { ...pp.msg, batch } })

/** A compact proposal: the pre-prepare naming its batch by transaction ids (same signature, no batch). */
const byIds = (pp: Signed<FullPrePrepare>): Signed<PrePrepare> => {
  const { batch, ...header } = pp.msg
  return { from: pp.from, sig: pp.sig, msg: { ...header, txIds: batch.txs.map(txId) } }
}

/** A slot whose batch this replica lacks: a new view's, waiting for the batch from a peer that prepared it;
 *  or (`ids`) a proposal named by transaction ids some of which it was not relayed (yet), waiting for those
 *  relays or the batch from its proposer. `pp` is the header alone. */
interface MissingBatch { readonly pp: Signed<PrePrepare>, readonly peers: readonly ValidatorId[], readonly ids?: readonly Hash[] }

export class ThreePhaseReplica implements Protocol<ThreePhaseMessage> {
  readonly codec: MessageCodec<ThreePhaseMessage>
  private readonly self: ValidatorId
  private readonly validators: ValidatorSet
  private readonly params: ThreePhaseParams
  private readonly quorums: Quorums
  readonly #variant: ThreePhaseVariant
  readonly #votes: VotePolicy
  readonly #tag: string
  readonly #timers: ReturnType<typeof threePhaseTimers>
  readonly #verifier: MessageVerifier<ThreePhaseMessage>

  #view = 0
  #viewChanging = false
  #stableSeq = 0
  #stableRoot: Hash = new Uint8Array(32)
  #stableProof: readonly Signed<CheckpointMsg>[] = []
  #lastCommitted = 0
  #lastExecuted = 0
  /** Highest sequence number with a pre-prepare in the current view (the primary's next is one above). */
  #lastAssigned = 0
  #viewChangeAttempts = 0
  /** The state transfer in flight: one per checkpoint, retried after a growing wait from the next peer. */
  #fetch: { readonly seq: number, attempt: number, retryAt: number } | undefined
  #committedAtLastResend = -1
  /** Resend periods since pending transactions last went to the primary. */
  #requestResendPeriods = 0

  readonly #slots = new Map<number, Slot>()
  readonly #preparedCerts = new Map<number, PreparedCert>()
  readonly #decided = new Map<number, Decision>()
  /** Variants with catch-up: committed batches above the stable checkpoint with the commits that decided
   *  them here, handed to peers whose status shows them behind. */
  readonly #decisions = new Map<number, Decision>()
  readonly #catchUpHelp: HelpLimiter
  /** Pending: known transactions not yet in an accepted pre-prepare; in flight: in accepted pre-prepares
   *  that have not committed yet. */
  readonly #txs = new TxTracker()
  #relayBuffer: Tx[] = []
  /** Each validator's latest view-change. */
  readonly #viewChanges = new Map<ValidatorId, Signed<ViewChange>>()
  #newView: Signed<NewView> | undefined
  #newViewSentFor = -1
  readonly #checkpointVotes = new CheckpointVotes<CheckpointMsg>((m) => m.seq, (m) => `${m.seq}/${toHex(m.stateRoot)}${m.extra === undefined ? '' : `/${toHex(m.extra)}`}`)
  /** Phase messages for the view this replica is changing to (or the next one), held until it installs it. */
  #future: Signed<ThreePhaseMessage>[] = []
  #futureBytes = 0
  readonly #futureKeys = new Set<string>()
  readonly #futurePerSender = new Map<ValidatorId, number>()
  readonly #o: Outbox<ThreePhaseMessage>
  readonly #help: HelpLimiter
  /** Batches of accepted pre-prepares above the stable checkpoint, by digest: what a new view re-proposes by
   *  digest and what peers that lack a batch fetch. */
  readonly #batches = new Map<string, { readonly seq: number, readonly batch: Batch }>()
  readonly #missing = new Map<number, MissingBatch>()
  /** How many of #missing are proposals named by ids (at most a watermark window). */
  #awaitingIds = 0
  #batchFetchAttempt = 0
  readonly #batchHelp: HelpLimiter

  constructor (opts: ReplicaOptions) {
    if (!opts.validators.has(opts.self)) throw new Error(`${opts.self} is not in the validator set`)
    this.self = opts.self
    this.validators = opts.validators
    this.params = threePhaseParams(opts.params)
    this.quorums = opts.validators.quorums
    this.#verifier = opts.verifier
    this.#o = new Outbox(opts.signer)
    this.#help = new HelpLimiter(this.params.resendIntervalMs)
    this.#batchHelp = new HelpLimiter(this.params.resendIntervalMs)
    this.#catchUpHelp = new HelpLimiter(this.params.resendIntervalMs)
    this.#variant = opts.variant
    this.#votes = opts.variant.votes
    this.#tag = opts.variant.protocol
    this.#timers = threePhaseTimers(this.#tag)
    this.codec = opts.codec
    // A view change must fit its limits for a full window, or the first one under load would halt the view.
    const utf8 = (s: string): number => new TextEncoder().encode(s).byteLength
    const bound = newViewBytesBound({
      n: this.validators.n,
      quorum: this.#votes.quorum,
      window: this.params.watermarkWindow,
      prepareCertSize: this.#votes.certificateSize('prepare'),
      idBytes: Math.max(...this.validators.ids.map(utf8)),
      protocolBytes: utf8(this.#tag),
      proofBytes: this.#votes.prove === undefined ? undefined : (this.#votes.proofBytes ?? MAX_PROOF_BYTES),
      checkpointExtras: this.#variant.checkpointExtra !== undefined
    })
    if (bound > MAX_NEW_VIEW_BYTES) throw new ParamError(`a new-view for ${this.validators.n} validators and watermarkWindow ${this.params.watermarkWindow} may reach ${bound} bytes, over the ${MAX_NEW_VIEW_BYTES} its WAL record allows: use a smaller window`)
    this.#variant.attach?.(this.#host())
  }

  /** The variant's side of this replica (only variants with hooks use it; see VariantHost). */
  #host (): VariantHost {
    return {
      self: this.self,
      now: () => this.#o.now,
      view: () => this.#view,
      viewChanging: () => this.#viewChanging,
      stableSeq: () => this.#stableSeq,
      lastCommitted: () => this.#lastCommitted,
      hasWork: () => this.#hasWork(),
      sign: (msg) => this.#o.sign(msg),
      send: (to, s) => this.#o.send(to.filter((id) => id !== this.self), s),
      broadcast: (s) => this.#o.broadcast(s),
      persist: (seq, msg) => this.#o.persist(seq, msg),
      arm: (id, ms) => this.#o.arm(id, ms),
      disarm: (id) => this.#o.disarm(id),
      log: (event) => this.#o.log(event),
      accepted: (seq) => {
        const pp = this.#slots.get(seq)?.pp
        return pp !== undefined && pp.msg.view === this.#view ? pp : undefined
      },
      replaceOwn: (pp) => {
        const slot = this.#slots.get(pp.msg.seq)
        if (slot?.pp !== undefined && slot.pp.from === pp.from && slot.pp.msg.view === pp.msg.view && bytesEqual(slot.pp.msg.digest, pp.msg.digest)) slot.pp = pp
      },
      deliver: (peer, pp) => this.#onPhase(peer, pp),
      reserve: (seq) => { if (!this.#viewChanging) this.#lastAssigned = Math.max(this.#lastAssigned, seq) },
      propose: () => {
        this.#propose(false)
        this.#armWork()
      },
      changeView: () => { if (!this.#viewChanging) this.#startViewChange(this.#view + 1) }
    }
  }

  /** Whether `from` may sign a pre-prepare of `view`: the variant's rule, PBFT's leader by default. */
  #mayPropose (view: number, from: ValidatorId): boolean {
    return this.#variant.mayPropose === undefined ? from === this.#primary(view) : this.#variant.mayPropose(view, from)
  }

  /** The variant's end-of-input hook, then the effects. */
  #end (): Fx {
    this.#variant.afterInput?.()
    return this.#o.end()
  }

  // ---- Protocol ----

  restore (records: readonly PersistedRecord<ThreePhaseMessage>[]): void {
    this.#variant.restore?.(records)
    const accepted: Array<Signed<FullPrePrepare>> = []
    for (const { msg } of records) this.#replay(msg as ThreePhaseRecord, accepted)
    for (const seq of this.#preparedCerts.keys()) if (seq <= this.#stableSeq) this.#preparedCerts.delete(seq)
    for (const pp of accepted) if (pp.msg.seq > this.#stableSeq) this.#keepBatch(pp.msg.seq, pp.msg.batch)
    this.#lastAssigned = this.#stableSeq
    if (this.#viewChanging) return
    for (const pp of accepted) {
      const { view, seq } = pp.msg
      if (view !== this.#view || seq <= this.#stableSeq) continue
      const slot = this.#slot(seq)
      slot.pp = pp
      this.#lastAssigned = Math.max(this.#lastAssigned, seq)
      // Backups prepared what they accepted (in PBFT every accepted pre-prepare of a view is its primary's).
      if (pp.from !== this.self) slot.prepares.set(this.self, this.#o.sign(this.#prepareFor(pp)))
      const cert = this.#preparedCerts.get(seq)
      if (cert !== undefined && cert.prePrepare.msg.view === view) {
        slot.prepared = true
        slot.commits.set(this.self, this.#o.sign(this.#commitFor(pp.msg)))
      }
      for (const tx of pp.msg.batch.txs) this.#txs.inFlight.set(txKey(tx), tx)
    }
    // Slots of the installed new view whose batch never arrived are fetched again.
    const nv = this.#newView
    if (nv !== undefined && nv.msg.view === this.#view) {
      for (const pp of nv.msg.prePrepares) {
        if (!this.#inWindow(pp.msg.seq) || this.#slots.get(pp.msg.seq)?.pp !== undefined) continue
        this.#lastAssigned = Math.max(this.#lastAssigned, pp.msg.seq)
        this.#missing.set(pp.msg.seq, { pp, peers: this.#preparedBy(nv, pp.msg.seq, pp.msg.digest) })
      }
    }
  }

  start (executed: Checkpoint, now: number): Fx {
    this.#o.begin(now)
    this.#lastExecuted = this.#lastCommitted = executed.seq
    this.#lastAssigned = Math.max(this.#lastAssigned, this.#lastCommitted)
    if (this.#lastCommitted < this.#stableSeq) this.#requestState()
    if (this.#viewChanging) this.#sendViewChange()
    else if (this.#missing.size > 0) this.#requestBatches()
    this.#broadcastStatus()
    this.#armWork()
    return this.#end()
  }

  onMessage (from: ValidatorId, s: Signed<ThreePhaseMessage>, now: number): Fx {
    this.#o.begin(now)
    if (s.msg.protocol === this.#tag && this.validators.has(s.from)) this.#dispatch(from, s)
    return this.#end()
  }

  onTimer (timer: TimerId, now: number): Fx {
    this.#o.begin(now)
    this.#o.fired(timer)
    switch (timer) {
      case this.#timers.viewChange: if (this.#variant.changesViewOnTimeout !== false) this.#startViewChange(this.#view + 1); break
      case this.#timers.batch: this.#propose(true); break
      case this.#timers.relay: this.#flushRelay(); break
      case this.#timers.resend: this.#resend(); break
      default: this.#variant.onTimer?.(timer)
    }
    return this.#end()
  }

  onRequest (batch: Batch, now: number): Fx {
    this.#o.begin(now)
    for (const tx of batch.txs) if (this.#addPending(tx)) this.#relayBuffer.push(tx)
    if (this.#relayBuffer.length > 0) {
      const relayDelay = this.params.relayDelayMs ?? this.params.batchDelayMs
      if (relayDelay === 0 || batchFull(this.#relayBuffer, this.params.batchSize)) this.#flushRelay()
      else this.#o.arm(this.#timers.relay, relayDelay)
    }
    this.#propose(false)
    this.#armWork()
    return this.#end()
  }

  onExecuted (seq: number, stateRoot: Hash, now: number): Fx {
    this.#o.begin(now)
    if (seq > this.#lastCommitted) this.#installedSnapshot(seq)
    this.#lastExecuted = Math.max(this.#lastExecuted, seq)
    if (seq % this.params.checkpointInterval === 0 && seq > this.#stableSeq) {
      const extra = this.#variant.checkpointExtra?.(seq, stateRoot)
      const cp = this.#o.sign<CheckpointMsg>({ protocol: this.#tag, type: 'checkpoint', seq, stateRoot, ...(extra === undefined ? {} : { extra }) })
      this.#o.broadcast(cp)
      this.#recordCheckpoint(cp)
    }
    this.#deliver()
    this.#armWork()
    return this.#end()
  }

  status (): ProtocolStatus {
    return {
      protocol: this.#tag,
      view: this.#view,
      primary: this.#primary(),
      viewChanging: this.#viewChanging,
      lastCommitted: this.#lastCommitted,
      lastExecuted: this.#lastExecuted,
      stableCheckpoint: this.#stableSeq,
      pending: this.#txs.size,
      bufferedMessages: this.#future.length,
      bufferedBytes: this.#futureBytes,
      resources: { held: this.#future.length, wastedScans: 0 },
      ...(this.#variant.extraStatus === undefined ? {} : { extra: this.#variant.extraStatus() })
    }
  }

  // ---- helpers ----

  #primary (view = this.#view): ValidatorId { return this.#variant.leaders.leader(view) }
  #isPrimary (): boolean { return this.#primary() === this.self }
  #inWindow (seq: number): boolean { return seq > this.#stableSeq && seq <= this.#stableSeq + this.params.watermarkWindow }
  #timeout (): number {
    const doublings = Math.min(this.#viewChangeAttempts, MAX_TIMEOUT_DOUBLINGS)
    return Math.min(this.params.viewChangeTimeoutMs * 2 ** doublings, this.params.maxViewChangeTimeoutMs)
  }

  #certContext (): CertContext {
    return {
      validators: this.validators,
      verifier: this.#verifier,
      leaders: this.#variant.leaders,
      ...(this.#variant.mayPropose === undefined ? {} : { mayPropose: this.#variant.mayPropose.bind(this.#variant) }),
      prepared: (view, seq, prepares, holder) => this.#votes.decides('prepare', view, seq, prepares, holder),
      quorum: this.#votes.quorum,
      watermarkWindow: this.params.watermarkWindow,
      prepareCertSize: this.#votes.certificateSize('prepare')
    }
  }

  #signedBy (s: Signed<ThreePhaseMessage>): boolean { return this.validators.has(s.from) && this.#verifier.verify(s) }

  #slot (seq: number): Slot {
    let slot = this.#slots.get(seq)
    if (slot === undefined) {
      slot = { prepares: new Map(), commits: new Map(), prepared: false, committed: false, since: this.#o.now, resendAt: this.#o.now + this.params.resendIntervalMs, resends: 0, batchSentTo: new Set() }
      this.#slots.set(seq, slot)
    }
    return slot
  }

  #byValidatorOrder<T extends Signed<ThreePhaseMessage>> (items: Iterable<T>): T[] {
    return [...items].sort((a, b) => this.validators.indexOf(a.from) - this.validators.indexOf(b.from))
  }

  #prepareFor (s: Signed<PrePrepare>): Prepare { const pp = s.msg; return this.#withProof('prepare', { protocol: this.#tag, type: 'prepare', view: pp.view, seq: pp.seq, digest: pp.digest }, s) }
  #commitFor (pp: PrePrepare): Commit { return this.#withProof('commit', { protocol: this.#tag, type: 'commit', view: pp.view, seq: pp.seq, digest: pp.digest }) }
  #withProof<V extends Prepare | Commit> (phase: Phase, vote: V, proposal?: Signed<PrePrepare>): V {
    return this.#votes.prove === undefined ? vote : { ...vote, proof: this.#votes.prove(phase, vote.view, vote.seq, proposal === undefined ? undefined : headerOf(proposal)) }
  }

  /** Sends this replica's vote to the recipients the variant names. */
  #sendVote (phase: Phase, s: Signed<Prepare | Commit>): void {
    const to = this.#votes.recipients(phase, s.msg.view, s.msg.seq)
    if (to === 'all') this.#o.broadcast(s)
    else this.#o.send(to.filter((id) => id !== this.self), s)
  }

  #hasWork (): boolean { return this.#txs.pending.size > 0 || this.#txs.inFlight.size > 0 || this.#decided.size > 0 }

  /** Keeps the view-change and resend timers running exactly while this replica waits for something. */
  #armWork (): void {
    const waiting = this.#hasWork() || this.#lastCommitted < this.#stableSeq || this.#missing.size > 0
    if (waiting || this.#viewChanging) this.#o.arm(this.#timers.resend, this.params.resendIntervalMs)
    if (this.#viewChanging) return
    if (this.#hasWork()) this.#o.arm(this.#timers.viewChange, this.#timeout())
    else this.#o.disarm(this.#timers.viewChange)
  }

  #restartViewTimer (): void {
    this.#o.disarm(this.#timers.viewChange)
    this.#armWork()
  }

  // ---- requests and proposals ----

  #addPending (tx: Tx): boolean { return this.#txs.addPending(tx) }

  #flushRelay (): void {
    this.#o.disarm(this.#timers.relay)
    if (this.#relayBuffer.length === 0) return
    // Chunks within the batch budget, so each relay message (and the batch it becomes) fits its limits.
    for (const txs of splitByBatchBudget(this.#relayBuffer)) this.#o.broadcast(this.#o.sign({ protocol: this.#tag, type: 'request', txs }))
    this.#relayBuffer = []
  }

  #propose (force: boolean): void {
    if (this.#viewChanging || !this.#isPrimary()) return
    while (this.#lastAssigned + 1 <= this.#stableSeq + this.params.watermarkWindow && this.#variant.mayProposeSeq?.(this.#lastAssigned + 1) !== false) {
      const txs = this.#txs.pending.take(this.params.batchSize, undefined, MAX_BATCH_BYTES)
      if (txs.length === 0) return
      if (!batchFull(txs, this.params.batchSize) && !force) {
        this.#o.arm(this.#timers.batch, this.params.batchDelayMs)
        return
      }
      const seq = this.#lastAssigned + 1
      const batch = makeBatch(this.#variant.propose === undefined ? txs : this.#variant.propose(txs, seq, this.self))
      const pp = this.#o.sign<FullPrePrepare>({ protocol: this.#tag, type: 'pre-prepare', view: this.#view, seq, digest: batch.id, batch })
      this.#accept(pp)
      if (this.#variant.sendProposal !== undefined) this.#variant.sendProposal(pp)
      else if (this.#variant.proposesByIds === true) {
        // Every replica was relayed these transactions (this primary's own clients' go now, on the same links
        // ahead of the proposal), so the pre-prepare names them by id; one that lacks any fetches the batch.
        this.#flushRelay()
        this.#o.broadcast(byIds(pp))
      } else this.#o.broadcast(pp)
      force = false
    }
  }

  // ---- normal case ----

  #dispatch (from: ValidatorId, s: Signed<ThreePhaseMessage>): void {
    switch (s.msg.type) {
      case 'request':
        for (const tx of s.msg.txs) this.#addPending(tx)
        if (this.#awaitingIds > 0) this.#resolveByIds()
        this.#propose(false)
        this.#armWork()
        return
      case 'pre-prepare': case 'prepare': case 'commit': this.#onPhase(from, s); return
      case 'checkpoint': this.#onCheckpoint(s as Signed<CheckpointMsg>); return
      case 'view-change': this.#onViewChange(from, s as Signed<ViewChange>); return
      case 'new-view': this.#onNewView(s as Signed<NewView>); return
      case 'status': this.#onStatus(from, s.msg); return
      case 'batch-request': this.#onBatchRequest(from, s.msg); return
      case 'batch': this.#onBatchReply(s.msg); return
      case 'decided': this.#onDecided(s as Signed<Decided>); return
      default:
        if (this.#variant.onMessage !== undefined) this.#variant.onMessage(from, s)
        else this.#o.log({ type: 'invalid-message', from, reason: `unexpected ${s.msg.type}` })
    }
  }

  #onPhase (from: ValidatorId, s: Signed<ThreePhaseMessage>): void {
    const m = s.msg as PrePrepare | Prepare | Commit
    if (m.view < this.#view) {
      this.#helpLowerView(from)
      return
    }
    if (m.view > this.#view || this.#viewChanging) {
      this.#holdForView(s, m)
      return
    }
    if (!this.#inWindow(m.seq)) return
    if (m.type === 'pre-prepare') this.#onPrePrepare(from, s as Signed<PrePrepare>)
    else if (m.type === 'prepare') this.#onPrepare(s as Signed<Prepare>)
    else this.#onCommit(s as Signed<Commit>)
  }

  /** Holds a phase message of a later view, only for the view this replica is changing to (or, while not
   *  changing, the next one), only from a sender that may send it in that view, once, within the window,
   *  at most three per sequence number per sender, and within a byte budget. */
  #holdForView (s: Signed<ThreePhaseMessage>, m: PrePrepare | Prepare | Commit): void {
    const target = this.#viewChanging ? this.#view : this.#view + 1
    if (m.view !== target || !this.#inWindow(m.seq)) return
    const leader = this.#primary(target)
    if (m.type === 'pre-prepare' ? !this.#mayPropose(target, s.from) : m.type === 'prepare' && s.from === leader) return
    // Everything held is for one view: a new target drops what was held for the old one.
    if (this.#future.length > 0 && (this.#future[0].msg as Prepare).view !== target) this.#clearFuture()
    const key = `${s.from}/${m.type}/${m.seq}`
    const held = this.#futurePerSender.get(s.from) ?? 0
    const bytes = encodeBody(this.codec, s.msg).byteLength
    if (this.#futureKeys.has(key) || held >= 3 * this.params.watermarkWindow || this.#futureBytes + bytes > MAX_FUTURE_BYTES) return
    this.#futureKeys.add(key)
    this.#futurePerSender.set(s.from, held + 1)
    this.#futureBytes += bytes
    this.#future.push(s)
  }

  #clearFuture (): void {
    this.#future = []
    this.#futureBytes = 0
    this.#futureKeys.clear()
    this.#futurePerSender.clear()
  }

  #onPrePrepare (from: ValidatorId, s: Signed<PrePrepare>): void {
    const m = s.msg
    if (!this.#mayPropose(m.view, s.from)) return this.#o.log({ type: 'invalid-message', from: s.from, reason: 'pre-prepare from a backup' })
    if (m.batch === undefined && m.txIds !== undefined) return this.#onPrePrepareByIds(from, s, m.txIds)
    if (m.batch === undefined) return this.#o.log({ type: 'invalid-message', from: s.from, reason: 'pre-prepare without its batch' })
    if (overBatchBudget(m.batch.txs)) return this.#o.log({ type: 'invalid-message', from: s.from, reason: `batch over ${MAX_BATCH_BYTES} bytes` })
    const keys = new Set(m.batch.txs.map(txKey))
    if (keys.size !== m.batch.txs.length) return this.#o.log({ type: 'invalid-message', from: s.from, reason: 'batch repeats a transaction' })
    const slot = this.#slot(m.seq)
    const proposed = slot.pp?.msg ?? this.#missing.get(m.seq)?.pp.msg
    const proposer = slot.pp?.from ?? this.#missing.get(m.seq)?.pp.from
    // Only the same signer's second digest is an equivocation (a variant with several proposers per view,
    // T-PBFT's group, sees honest members' proposals for one slot; its certificates decide between them).
    if (proposed !== undefined && !bytesEqual(proposed.digest, m.digest)) return proposer === s.from ? this.#equivocation(s.from, m.view, m.seq) : undefined
    if (this.#variant.admitPrePrepare !== undefined && !this.#variant.admitPrePrepare(from, s as Signed<FullPrePrepare>)) return
    if (slot.pp !== undefined) return
    this.#accept(s as Signed<FullPrePrepare>)
  }

  /** A pre-prepare naming its batch by transaction ids (the codec checked they hash to its digest): with
   *  every one known here it is the full pre-prepare; otherwise the slot waits for the relays still on
   *  their way or for the batch, asked of the proposer at once (#onBatchRequest answers that outside its
   *  per-period budget, once per replica and slot). */
  #onPrePrepareByIds (from: ValidatorId, s: Signed<PrePrepare>, ids: readonly Hash[]): void {
    const m = s.msg
    const txs = this.#knownTxs(ids)
    if (txs !== undefined) return this.#onPrePrepare(from, withBatch(headerOf(s), { txs, id: m.digest }))
    const held = this.#slots.get(m.seq)?.pp ?? this.#missing.get(m.seq)?.pp
    if (held !== undefined) {
      if (!bytesEqual(held.msg.digest, m.digest) && held.from === s.from) this.#equivocation(s.from, m.view, m.seq)
      return
    }
    if (this.#variant.proposesByIds !== true || this.#awaitingIds >= this.params.watermarkWindow) return
    this.#missing.set(m.seq, { pp: headerOf(s), peers: [s.from], ids })
    this.#awaitingIds++
    this.#requestBatches()
    this.#armWork()
  }

  /** The transactions of `ids` in order, when this replica holds every one (pending or in flight). */
  #knownTxs (ids: readonly Hash[]): Tx[] | undefined {
    const txs: Tx[] = []
    for (const id of ids) {
      const key = toHex(id)
      const tx = this.#txs.pending.get(key) ?? this.#txs.inFlight.get(key)
      if (tx === undefined) return undefined
      txs.push(tx)
    }
    return txs
  }

  /** Relays arrived: proposals named by ids whose transactions are all known now are accepted. */
  #resolveByIds (): void {
    for (const [seq, missing] of [...this.#missing].sort(([a], [b]) => a - b)) {
      if (missing.ids === undefined) continue
      const txs = this.#knownTxs(missing.ids)
      if (txs === undefined) continue
      this.#forgetMissing(seq)
      this.#onPrePrepare(missing.pp.from, withBatch(missing.pp, { txs, id: missing.pp.msg.digest }))
    }
  }

  /** Drops a missing slot; true when it was a new view's (not a proposal named by ids). */
  #forgetMissing (seq: number): boolean {
    const missing = this.#missing.get(seq)
    if (missing === undefined) return false
    this.#missing.delete(seq)
    if (missing.ids === undefined) return true
    this.#awaitingIds--
    return false
  }

  /** Accepts a pre-prepare (the primary: its own proposal) and, as a backup, prepares it. */
  #accept (pp: Signed<FullPrePrepare>): void {
    const m = pp.msg
    const slot = this.#slot(m.seq)
    slot.pp = pp
    // The last missing batch of a new view known: what did not survive the view change goes back to pending.
    if (this.#forgetMissing(m.seq)) this.#requeueOrphans()
    this.#keepBatch(m.seq, m.batch)
    this.#lastAssigned = Math.max(this.#lastAssigned, m.seq)
    this.#o.persist(m.seq, { protocol: this.#tag, type: 'rec-accept', prePrepare: pp })
    for (const tx of m.batch.txs) {
      const key = txKey(tx)
      this.#txs.pending.delete(key)
      if (!this.#txs.committed.has(key) && m.seq > this.#lastCommitted) this.#txs.inFlight.set(key, tx)
    }
    if (pp.from !== this.self) {
      const prepare = this.#o.sign(this.#prepareFor(pp))
      slot.prepares.set(this.self, prepare)
      this.#sendVote('prepare', prepare)
    }
    this.#checkPrepared(m.seq, slot)
    this.#armWork()
  }

  #onPrepare (s: Signed<Prepare>): void {
    // The pre-prepare's signer does not prepare its own (in PBFT it is the view's primary).
    if (s.from === (this.#slots.get(s.msg.seq)?.pp?.from ?? this.#primary())) return
    if (!this.#admitted('prepare', s)) return
    if (this.#votes.proposalIn !== undefined && !this.#checkProposalIn(s, this.#votes.proposalIn(s))) return
    const slot = this.#slot(s.msg.seq)
    if (!slot.prepares.has(s.from)) slot.prepares.set(s.from, s)
    this.#checkPrepared(s.msg.seq, slot)
  }

  /** The variant's admission check of a peer's vote (sample membership and the like); a refusal is logged. */
  #admitted (phase: Phase, s: Signed<Prepare | Commit>): boolean {
    if (s.from === this.self || this.#votes.admits === undefined) return true
    const refusal = this.#votes.admits(phase, s)
    if (refusal === undefined) return true
    this.#o.log({ type: 'invalid-message', from: s.from, reason: refusal })
    return false
  }

  /** A prepare carrying the leader's header: a header that is not the primary's for this vote refuses the
   *  vote; one for another digest than this replica's proves equivocation; one for a slot this replica has
   *  no proposal for is adopted (its batch fetched from the voter and the primary). */
  #checkProposalIn (s: Signed<Prepare>, header: Signed<PrePrepare> | undefined): boolean {
    const m = s.msg
    const known = this.#slots.get(m.seq)?.pp ?? this.#missing.get(m.seq)?.pp
    // The header this replica already holds needs no second signature check.
    const seen = known !== undefined && header !== undefined && header.from === known.from && bytesEqual(header.sig, known.sig) && bytesEqual(header.msg.digest, known.msg.digest)
    if (!seen && (header === undefined || header.from !== this.#primary() || header.msg.type !== 'pre-prepare' || header.msg.view !== m.view ||
      header.msg.seq !== m.seq || !bytesEqual(header.msg.digest, m.digest) || header.msg.batch !== undefined || !this.#signedBy(header))) {
      this.#o.log({ type: 'invalid-message', from: s.from, reason: 'prepare without the primary\'s header' })
      return false
    }
    if (header === undefined) return false
    const proposed = known?.msg.digest
    if (proposed === undefined) {
      this.#missing.set(m.seq, { pp: header, peers: [s.from, header.from].filter((id) => id !== this.self) })
      this.#requestBatches()
      this.#armWork()
      return true
    }
    if (bytesEqual(proposed, m.digest)) return true
    this.#equivocation(header.from, m.view, m.seq)
    return false
  }

  /** Proof that the primary signed two digests for one slot: logged; a variant that asks for it leaves the
   *  view at once, voting no more in it. */
  #equivocation (primary: ValidatorId, view: number, seq: number): void {
    this.#o.log({ type: 'equivocation', from: primary, view, seq })
    if (this.#variant.equivocationChangesView === true && view === this.#view && !this.#viewChanging) this.#startViewChange(this.#view + 1)
  }

  #onCommit (s: Signed<Commit>): void {
    if (!this.#admitted('commit', s)) return
    const slot = this.#slot(s.msg.seq)
    if (!slot.commits.has(s.from)) slot.commits.set(s.from, s)
    this.#checkCommitted(s.msg.seq, slot)
  }

  #checkPrepared (seq: number, slot: Slot): void {
    if (slot.prepared || slot.pp === undefined) return
    const digest = slot.pp.msg.digest
    const proposer = slot.pp.from
    const matching = [...slot.prepares.values()].filter((p) => p.from !== proposer && bytesEqual(p.msg.digest, digest))
    if (!this.#votes.decides('prepare', slot.pp.msg.view, seq, matching, this.self)) return
    slot.prepared = true
    const cert: PreparedCert = { prePrepare: headerOf(slot.pp), prepares: this.#byValidatorOrder(matching).slice(0, this.#votes.certificateSize('prepare')) }
    this.#preparedCerts.set(seq, cert)
    this.#o.persist(seq, { protocol: this.#tag, type: 'rec-prepared', cert })
    const commit = this.#o.sign(this.#commitFor(slot.pp.msg))
    slot.commits.set(this.self, commit)
    this.#sendVote('commit', commit)
    this.#checkCommitted(seq, slot)
  }

  #checkCommitted (seq: number, slot: Slot): void {
    if (slot.committed || !slot.prepared || slot.pp === undefined) return
    const digest = slot.pp.msg.digest
    const matching = [...slot.commits.values()].filter((c) => bytesEqual(c.msg.digest, digest))
    if (!this.#votes.decides('commit', slot.pp.msg.view, seq, matching, this.self)) return
    slot.committed = true
    if (seq > this.#lastCommitted) this.#decided.set(seq, { batch: slot.pp.msg.batch, view: slot.pp.msg.view, primary: slot.pp.from, cert: this.#byValidatorOrder(matching).slice(0, this.#votes.certificateSize('commit')) })
    this.#deliver()
  }

  /** Hands decided batches to the executor strictly in sequence order. */
  #deliver (): void {
    let progressed = false
    for (let d = this.#decided.get(this.#lastCommitted + 1); d !== undefined; d = this.#decided.get(this.#lastCommitted + 1)) {
      const seq = ++this.#lastCommitted
      this.#decided.delete(seq)
      this.#o.commit(seq, d.batch, d.cert)
      if (this.#variant.catchUp === true) this.#decisions.set(seq, d)
      for (const tx of d.batch.txs) this.#txs.markCommitted(txKey(tx))
      this.#variant.observe?.({ kind: 'committed', seq, view: d.view, primary: d.primary, batch: d.batch, cert: d.cert })
      progressed = true
    }
    if (!progressed) return
    if (!this.#viewChanging) this.#viewChangeAttempts = 0
    this.#restartViewTimer()
  }

  // ---- checkpoints and state transfer ----

  #onCheckpoint (s: Signed<CheckpointMsg>): void {
    if (s.msg.seq <= this.#stableSeq || s.msg.seq % this.params.checkpointInterval !== 0) return
    this.#recordCheckpoint(s)
  }

  #recordCheckpoint (s: Signed<CheckpointMsg>): void {
    const matching = this.#checkpointVotes.add(s)
    if (matching.length >= this.#votes.quorum) this.#makeStable(s.msg.seq, s.msg.stateRoot, this.#byValidatorOrder(matching).slice(0, this.#votes.quorum))
  }

  #makeStable (seq: number, root: Hash, proof: readonly Signed<CheckpointMsg>[]): void {
    if (seq <= this.#stableSeq) return
    this.#stableSeq = seq
    this.#stableRoot = root
    this.#stableProof = proof
    this.#o.persist(seq, { protocol: this.#tag, type: 'rec-stable', seq, stateRoot: root, proof, view: this.#view, viewChanging: this.#viewChanging }, seq)
    for (const map of [this.#slots, this.#preparedCerts, this.#decided, this.#decisions] as Map<number, unknown>[]) {
      for (const k of map.keys()) if (k <= seq) map.delete(k)
    }
    for (const k of [...this.#missing.keys()]) if (k <= seq) this.#forgetMissing(k)
    for (const [key, b] of this.#batches) if (b.seq <= seq) this.#batches.delete(key)
    this.#checkpointVotes.retain((m) => m.seq > seq)
    this.#lastAssigned = Math.max(this.#lastAssigned, seq)
    this.#o.log({ type: 'stable-checkpoint', seq })
    const extra = proof[0]?.msg.extra
    this.#variant.observe?.({ kind: 'stable', seq, stateRoot: root, ...(extra === undefined ? {} : { extra, signers: proof.map((s) => s.from) }) })
    if (this.#lastCommitted < seq) this.#requestState()
    this.#propose(false)
  }

  /** Fetches the stable checkpoint's state unless that fetch is in flight; a fetch that has not installed
   *  by its retry time goes again, to the peers rotated by one, after twice the wait. */
  #requestState (): void {
    const f = this.#fetch
    if (f !== undefined && f.seq === this.#stableSeq) {
      if (this.#o.now < f.retryAt) return
      f.attempt++
    } else {
      this.#fetch = { seq: this.#stableSeq, attempt: 0, retryAt: 0 }
    }
    const fetch = this.#fetch as { seq: number, attempt: number, retryAt: number }
    fetch.retryAt = this.#o.now + FETCH_RETRY_RESENDS * this.params.resendIntervalMs * 2 ** Math.min(fetch.attempt, MAX_FETCH_DOUBLINGS)
    const peers = this.#stableProof.map((s) => s.from).filter((id) => id !== this.self)
    const k = peers.length === 0 ? 0 : fetch.attempt % peers.length
    this.#o.fetchState([...peers.slice(k), ...peers.slice(0, k)], { seq: this.#stableSeq, stateRoot: this.#stableRoot })
    this.#o.log({ type: 'state-transfer', seq: this.#stableSeq, attempt: fetch.attempt })
  }

  /** The executor installed a snapshot at `seq`: everything at or below it is done. */
  #installedSnapshot (seq: number): void {
    if (this.#fetch !== undefined && this.#fetch.seq <= seq) this.#fetch = undefined
    this.#lastCommitted = seq
    this.#lastAssigned = Math.max(this.#lastAssigned, seq)
    for (const k of this.#decided.keys()) if (k <= seq) this.#decided.delete(k)
    // Which pending transactions the snapshot covered is unknown here; replicas that relayed them still
    // hold them, so forgetting ours cannot lose a transaction, while keeping them could time out forever.
    this.#txs.pending.clear()
    this.#txs.inFlight.clear()
    for (const [s, slot] of this.#slots) {
      if (s > seq && slot.pp !== undefined) for (const tx of slot.pp.msg.batch.txs) this.#txs.inFlight.set(txKey(tx), tx)
    }
    this.#o.log({ type: 'snapshot-installed', seq })
  }

  // ---- view change ----

  #startViewChange (view: number): void {
    if (view <= this.#view && (this.#viewChanging || view < this.#view)) return
    this.#view = view
    this.#viewChanging = true
    this.#viewChangeAttempts++
    this.#o.disarm(this.#timers.batch)
    this.#o.disarm(this.#timers.viewChange)
    this.#slots.clear()
    this.#missing.clear()
    this.#awaitingIds = 0
    this.#o.persist(this.#stableSeq, { protocol: this.#tag, type: 'rec-view', view, viewChanging: true })
    this.#o.log({ type: 'view-change', view })
    this.#sendViewChange()
    this.#armWork()
  }

  #sendViewChange (): void {
    const prepared = [...this.#preparedCerts.entries()].filter(([seq]) => seq > this.#stableSeq).sort(([a], [b]) => a - b).map(([, c]) => c)
    const vc = this.#o.sign<ViewChange>({
      protocol: this.#tag,
      type: 'view-change',
      view: this.#view,
      stableSeq: this.#stableSeq,
      stableRoot: this.#stableRoot,
      checkpointProof: this.#stableProof,
      prepared
    })
    this.#viewChanges.set(this.self, vc)
    this.#o.broadcast(vc)
    this.#afterViewChangeVote()
  }

  #viewChangesFor (view: number): Signed<ViewChange>[] {
    return this.#byValidatorOrder([...this.#viewChanges.values()].filter((s) => s.msg.view === view))
  }

  /** With a quorum of view-changes for the target view the new primary acts, and everyone starts the
   *  timer for it (not earlier, so one replica cannot run ahead through views alone). */
  #afterViewChangeVote (): void {
    if (!this.#viewChanging) return
    const votes = this.#viewChangesFor(this.#view)
    if (votes.length < this.#votes.quorum) return
    this.#o.arm(this.#timers.viewChange, this.#timeout())
    if (this.#isPrimary() && this.#newViewSentFor !== this.#view) this.#sendNewView(votes.slice(0, this.#votes.quorum))
  }

  #onViewChange (from: ValidatorId, s: Signed<ViewChange>): void {
    const w = s.msg.view
    if (w < this.#view || (w === this.#view && !this.#viewChanging)) {
      this.#helpLowerView(from)
      return
    }
    const prior = this.#viewChanges.get(s.from)
    if (prior !== undefined && prior.msg.view >= w) return
    if (!validViewChange(this.#certContext(), s.msg, s.from)) return this.#o.log({ type: 'invalid-message', from: s.from, reason: 'invalid view-change' })
    this.#viewChanges.set(s.from, s)
    // f + 1 replicas want a higher view: at least one is honest, so join the smallest such view.
    const higher = [...this.#viewChanges.values()].filter((v) => v.msg.view > this.#view)
    if (higher.length >= this.quorums.weak) this.#startViewChange(Math.min(...higher.map((v) => v.msg.view)))
    this.#afterViewChangeVote()
  }

  #sendNewView (viewChanges: Signed<ViewChange>[]): void {
    this.#newViewSentFor = this.#view
    const plan = newViewProposals(viewChanges)
    // Headers only: the batches are known by digest (or fetched), so a new-view stays small.
    const prePrepares = plan.proposals.map((digest, i) =>
      this.#o.sign<PrePrepare>({ protocol: this.#tag, type: 'pre-prepare', view: this.#view, seq: plan.stableSeq + 1 + i, digest }))
    const nv = this.#o.sign<NewView>({ protocol: this.#tag, type: 'new-view', view: this.#view, viewChanges, prePrepares })
    this.#o.persist(this.#stableSeq, { protocol: this.#tag, type: 'rec-new-view', newView: nv })
    this.#o.broadcast(nv)
    this.#installView(nv, plan)
  }

  #onNewView (s: Signed<NewView>): void {
    const m = s.msg
    if (m.view < this.#view || (m.view === this.#view && !this.#viewChanging)) return
    const plan = this.#checkNewView(s)
    if (plan === undefined) return this.#o.log({ type: 'invalid-message', from: s.from, reason: 'invalid new-view' })
    this.#o.persist(this.#stableSeq, { protocol: this.#tag, type: 'rec-new-view', newView: s })
    this.#installView(s, plan)
  }

  #checkNewView (s: Signed<NewView>): NewViewPlan | undefined {
    const m = s.msg
    if (s.from !== this.#primary(m.view)) return undefined
    const ctx = this.#certContext()
    // Shape first (bounded size and lists, distinct validators), so a padded new-view costs no verification
    // and the record persisted for it fits the WAL. An honest primary sends exactly a quorum of view-changes.
    if (encodeBody(this.codec, m).byteLength > MAX_NEW_VIEW_BYTES) return undefined
    if (m.viewChanges.length !== this.#votes.quorum || m.prePrepares.length > this.params.watermarkWindow) return undefined
    const senders = new Set<ValidatorId>()
    for (const vc of m.viewChanges) {
      if (vc.msg.view !== m.view || senders.has(vc.from) || !this.validators.has(vc.from) || !viewChangeShape(ctx, vc.msg)) return undefined
      senders.add(vc.from)
    }
    if (senders.size < this.#votes.quorum) return undefined
    for (const vc of m.viewChanges) if (!this.#signedBy(vc) || !validViewChange(ctx, vc.msg, vc.from)) return undefined
    const plan = newViewProposals(m.viewChanges)
    if (m.prePrepares.length !== plan.proposals.length) return undefined
    for (let i = 0; i < plan.proposals.length; i++) {
      const pp = m.prePrepares[i]
      if (pp.from !== s.from || pp.msg.view !== m.view || pp.msg.seq !== plan.stableSeq + 1 + i || pp.msg.batch !== undefined) return undefined
      if (!bytesEqual(pp.msg.digest, plan.proposals[i]) || !this.#signedBy(pp)) return undefined
    }
    return plan
  }

  #installView (nv: Signed<NewView>, plan: NewViewPlan): void {
    const view = nv.msg.view
    this.#view = view
    this.#viewChanging = false
    this.#newView = nv
    this.#o.disarm(this.#timers.viewChange)
    this.#slots.clear()
    this.#missing.clear()
    this.#awaitingIds = 0
    if (plan.stableSeq > this.#stableSeq) this.#makeStable(plan.stableSeq, plan.stableRoot, plan.stableProof)
    this.#lastAssigned = Math.max(this.#stableSeq, plan.stableSeq + plan.proposals.length)
    const proposals: Array<Signed<FullPrePrepare>> = []
    for (const pp of nv.msg.prePrepares) {
      if (!this.#inWindow(pp.msg.seq)) continue
      const batch = this.#batchOf(pp.msg.digest)
      if (batch !== undefined) proposals.push(withBatch(pp, batch))
      else this.#missing.set(pp.msg.seq, { pp, peers: this.#preparedBy(nv, pp.msg.seq, pp.msg.digest) })
    }
    this.#o.log({ type: 'new-view', view, primary: this.#primary() })
    this.#variant.observe?.({ kind: 'new-view', view, primary: this.#primary(), viewChanges: nv.msg.viewChanges })
    for (const pp of proposals) this.#accept(pp)
    this.#requeueOrphans()
    if (this.#missing.size > 0) this.#requestBatches()
    const future = this.#future
    this.#clearFuture()
    for (const s of future) {
      const v = (s.msg as Prepare).view
      if (v === view) this.#onPhase(s.from, s)
    }
    this.#propose(false)
    this.#armWork()
  }

  // ---- batches a new view re-proposes by digest ----

  /** Keeps an accepted batch for fetches and later views, at most BATCHES_PER_SEQ per sequence number
   *  (the prepared certificate's is never the one dropped). */
  #keepBatch (seq: number, batch: Batch): void {
    const key = toHex(batch.id)
    if (this.#batches.has(key)) return
    const certDigest = this.#preparedCerts.get(seq)?.prePrepare.msg.digest
    const same = [...this.#batches].filter(([, b]) => b.seq === seq)
    for (const [k, b] of same.slice(0, Math.max(0, same.length - BATCHES_PER_SEQ + 1))) {
      if (certDigest === undefined || !bytesEqual(b.batch.id, certDigest)) this.#batches.delete(k)
    }
    this.#batches.set(key, { seq, batch })
  }

  #batchOf (digest: Hash): Batch | undefined {
    return bytesEqual(digest, EMPTY_BATCH.id) ? EMPTY_BATCH : this.#batches.get(toHex(digest))?.batch
  }

  /** Who can hand over the batch `digest` prepared at `seq`: the senders of the new-view's view-changes
   *  that certify it, its primary and the backups that prepared it, in validator order. */
  #preparedBy (nv: Signed<NewView>, seq: number, digest: Hash): ValidatorId[] {
    const peers = new Set<ValidatorId>()
    for (const vc of nv.msg.viewChanges) {
      for (const cert of vc.msg.prepared) {
        if (cert.prePrepare.msg.seq !== seq || !bytesEqual(cert.prePrepare.msg.digest, digest)) continue
        peers.add(vc.from)
        peers.add(cert.prePrepare.from)
        for (const p of cert.prepares) peers.add(p.from)
      }
    }
    peers.delete(this.self)
    return [...peers].sort((a, b) => this.validators.indexOf(a) - this.validators.indexOf(b))
  }

  /** Asks for every missing batch, each from the next of its peers in turn (a silent peer is skipped on the
   *  next resend), one request per peer naming at most a window of digests. */
  #requestBatches (): void {
    const attempt = this.#batchFetchAttempt++
    const asks = new Map<ValidatorId, Hash[]>()
    for (const [, m] of [...this.#missing].sort(([a], [b]) => a - b)) {
      if (m.peers.length === 0) continue
      const peer = m.peers[attempt % m.peers.length]
      const list = asks.get(peer) ?? []
      if (list.length < this.params.watermarkWindow) list.push(m.pp.msg.digest)
      asks.set(peer, list)
    }
    for (const [peer, digests] of asks) this.#o.send([peer], this.#o.sign<BatchRequest>({ protocol: this.#tag, type: 'batch-request', digests }))
    this.#o.log({ type: 'batch-fetch', missing: this.#missing.size, attempt })
  }

  /** Answers with the batches it has, within a byte budget per peer and resend period. */
  #onBatchRequest (peer: ValidatorId, m: BatchRequest): void {
    if (peer === this.self) return
    if (m.digests.length > this.params.watermarkWindow) return this.#o.log({ type: 'invalid-message', from: peer, reason: 'batch-request over the window' })
    // This primary's own proposals of its view named by ids: the batch goes at once, to each replica once per
    // slot (a relay it missed, or one still on its way), outside the per-period budget below.
    const rest = this.#variant.proposesByIds === true && !this.#viewChanging ? m.digests.filter((d) => !this.#sendOwnBatch(peer, d)) : m.digests
    if (rest.length === 0 || !this.#batchHelp.may(peer, this.#o.now)) return
    let bytes = 0
    for (const digest of rest) {
      const batch = this.#batches.get(toHex(digest))?.batch
      if (batch === undefined) continue
      const size = batchBytes(batch.txs)
      if (bytes > 0 && bytes + size > BATCH_REPLY_BYTES_PER_ROUND) break
      bytes += size
      this.#o.send([peer], this.#o.sign<BatchReply>({ protocol: this.#tag, type: 'batch', txs: batch.txs }))
    }
  }

  /** Sends `peer` the batch of this replica's own current-view proposal with `digest`, once per slot; false
   *  when it is no such proposal or was sent it already. */
  #sendOwnBatch (peer: ValidatorId, digest: Hash): boolean {
    const held = this.#batches.get(toHex(digest))
    if (held === undefined || held.seq <= this.#lastCommitted) return false
    const slot = this.#slots.get(held.seq)
    if (slot?.pp === undefined || slot.pp.from !== this.self || slot.pp.msg.view !== this.#view || !bytesEqual(slot.pp.msg.digest, digest)) return false
    if (slot.batchSentTo.has(peer)) return false
    slot.batchSentTo.add(peer)
    this.#o.send([peer], this.#o.sign<BatchReply>({ protocol: this.#tag, type: 'batch', txs: slot.pp.msg.batch.txs }))
    return true
  }

  /** A batch that matches a missing slot's digest fills it; anything else is ignored. */
  #onBatchReply (m: BatchReply): void {
    if (this.#viewChanging || this.#missing.size === 0 || overBatchBudget(m.txs)) return
    const batch = makeBatch(m.txs)
    for (const [seq, missing] of [...this.#missing]) {
      if (!bytesEqual(missing.pp.msg.digest, batch.id) || !this.#inWindow(seq)) continue
      // A proposal named by ids is judged as the full pre-prepare would have been (its batch's size, repeats).
      if (missing.ids !== undefined) {
        this.#forgetMissing(seq)
        this.#onPrePrepare(missing.pp.from, withBatch(missing.pp, batch))
      } else this.#accept(withBatch(missing.pp, batch))
    }
  }

  /** Transactions in flight that no proposal of this view carries go back to pending: the proposals that
   *  carried them did not survive a view change, and nobody else may hold them (a relay can be lost with a
   *  crashed primary). Only once every re-proposed batch is known: a missing batch's transactions are
   *  unknown, and requeuing one of them would propose it twice. */
  #requeueOrphans (): void {
    if (this.#missing.size > this.#awaitingIds) return
    const surviving = new Set<string>()
    for (const [seq, slot] of this.#slots) {
      if (seq > this.#lastCommitted && slot.pp !== undefined) for (const tx of slot.pp.msg.batch.txs) surviving.add(txKey(tx))
    }
    for (const d of this.#decided.values()) for (const tx of d.batch.txs) surviving.add(txKey(tx))
    for (const [key, tx] of this.#txs.inFlight) {
      if (surviving.has(key)) continue
      this.#txs.inFlight.delete(key)
      this.#txs.pending.add(tx)
    }
  }

  // ---- retransmission and helping replicas that fell behind ----

  #broadcastStatus (): void {
    this.#o.broadcast(this.#o.sign<Status>({ protocol: this.#tag, type: 'status', view: this.#view, viewChanging: this.#viewChanging, stableSeq: this.#stableSeq, lastCommitted: this.#lastCommitted }))
  }

  #resend (): void {
    if (this.#viewChanging) {
      const mine = this.#viewChanges.get(this.self)
      if (mine !== undefined && mine.msg.view === this.#view) this.#o.broadcast(mine)
    } else {
      const primary = this.#primary()
      // Pending transactions were relayed once already: while the cluster commits, the primary is live and a
      // resend every period would re-send up to a batch budget per replica per period under saturation.
      this.#requestResendPeriods++
      const progressing = this.#lastCommitted !== this.#committedAtLastResend
      if (!this.#isPrimary() && this.#txs.pending.size > 0 && (!progressing || this.#requestResendPeriods >= REQUEST_RESEND_PERIODS_WHILE_PROGRESSING)) {
        this.#requestResendPeriods = 0
        this.#o.send([primary], this.#o.sign({ protocol: this.#tag, type: 'request', txs: this.#txs.pending.take(this.params.batchSize * 4, undefined, MAX_BATCH_BYTES) }))
      }
      for (const [seq, slot] of this.#slots) {
        if (seq <= this.#lastCommitted || slot.pp === undefined || this.#o.now < slot.resendAt) continue
        slot.resends++
        slot.resendAt = this.#o.now + this.params.resendIntervalMs * 2 ** Math.min(slot.resends, RESEND_MAX_DOUBLINGS)
        // Targeted: a replica whose prepare or commit for the slot arrived holds the pre-prepare already.
        if (slot.pp.from === this.self) this.#o.send(this.validators.ids.filter(id => id !== this.self && !slot.prepares.has(id) && !slot.commits.has(id)), slot.pp)
        // To the same recipients as the first time (a sampled variant's sample, PBFT's everyone).
        const prepare = slot.prepares.get(this.self)
        const commit = slot.commits.get(this.self)
        if (prepare !== undefined) this.#sendVote('prepare', prepare)
        if (commit !== undefined) this.#sendVote('commit', commit)
      }
    }
    if (!this.#viewChanging && this.#missing.size > 0) this.#requestBatches()
    if (this.#lastCommitted < this.#stableSeq) this.#requestState()
    // Only a replica that made no progress for a whole period asks its peers what it is missing (with
    // catch-up, also one that holds later decisions than the next it lacks: it missed that one's quorum; and
    // one changing view, which votes nowhere and follows the others through their commit certificates).
    const gap = this.#variant.catchUp === true && (this.#decided.size > 0 || this.#viewChanging)
    if (this.#lastCommitted === this.#committedAtLastResend || gap) this.#broadcastStatus()
    this.#committedAtLastResend = this.#lastCommitted
    this.#armWork()
  }

  #helpLowerView (peer: ValidatorId): void {
    if (this.#newView !== undefined && !this.#viewChanging && peer !== this.self && this.#help.may(peer, this.#o.now)) this.#o.send([peer], this.#newView)
  }

  #onStatus (peer: ValidatorId, st: Status): void {
    if (peer === this.self) return
    const behindCheckpoint = st.stableSeq < this.#stableSeq && st.lastCommitted < this.#stableSeq
    const behindView = !this.#viewChanging && this.#newView !== undefined &&
      (st.view < this.#view || (st.view === this.#view && st.viewChanging))
    if (this.#variant.catchUp === true && st.lastCommitted < this.#lastCommitted && !behindCheckpoint) this.#sendDecisions(peer, st)
    if (!(behindCheckpoint || behindView) || !this.#help.may(peer, this.#o.now)) return
    if (behindCheckpoint) for (const cp of this.#stableProof) this.#o.send([peer], cp)
    if (behindView && this.#newView !== undefined) this.#o.send([peer], this.#newView)
  }

  /** Catch-up (variants that ask for it): a peer behind this replica's commits gets the decided batches it
   *  lacks with their commit certificates, within a byte budget per resend period. */
  #sendDecisions (peer: ValidatorId, st: Status): void {
    if (!this.#catchUpHelp.may(peer, this.#o.now)) return
    let bytes = 0
    for (let seq = st.lastCommitted + 1; seq <= this.#lastCommitted; seq++) {
      const d = this.#decisions.get(seq)
      if (d === undefined) continue
      const size = batchBytes(d.batch.txs)
      if (bytes > 0 && bytes + size > BATCH_REPLY_BYTES_PER_ROUND) break
      bytes += size
      this.#o.send([peer], this.#o.sign<Decided>({ protocol: this.#tag, type: 'decided', view: d.view, seq, digest: d.batch.id, txs: d.batch.txs, commits: d.cert }))
    }
  }

  /** A decided batch from a peer: taken when its commits decide it at that peer under the variant's rule
   *  (every one signed, for this view, sequence number and digest), whatever view this replica is in. */
  #onDecided (s: Signed<Decided>): void {
    const m = s.msg
    if (this.#variant.catchUp !== true || s.from === this.self) return
    if (m.seq <= this.#lastCommitted || this.#decided.has(m.seq) || !this.#inWindow(m.seq) || overBatchBudget(m.txs)) return
    const senders = new Set<ValidatorId>()
    for (const c of m.commits) {
      if (senders.has(c.from) || !this.validators.has(c.from) || c.msg.type !== 'commit' || c.msg.view !== m.view || c.msg.seq !== m.seq || !bytesEqual(c.msg.digest, m.digest)) {
        return this.#o.log({ type: 'invalid-message', from: s.from, reason: 'decided with a malformed certificate' })
      }
      senders.add(c.from)
    }
    if (m.commits.length > this.#votes.certificateSize('commit') || !this.#votes.decides('commit', m.view, m.seq, m.commits, s.from) || !m.commits.every((c) => this.#signedBy(c))) {
      return this.#o.log({ type: 'invalid-message', from: s.from, reason: 'decided without a commit certificate' })
    }
    const batch = makeBatch(m.txs)
    const slot = this.#slots.get(m.seq)
    if (slot !== undefined) slot.committed = true
    this.#decided.set(m.seq, { batch, view: m.view, primary: this.#primary(m.view), cert: m.commits })
    this.#o.log({ type: 'caught-up', seq: m.seq, from: s.from })
    this.#deliver()
  }

  // ---- restart ----

  #replay (rec: ThreePhaseRecord, accepted: Array<Signed<FullPrePrepare>>): void {
    switch (rec.type) {
      case 'rec-view':
        if (rec.view >= this.#view) {
          this.#view = rec.view
          this.#viewChanging = rec.viewChanging
        }
        return
      case 'rec-stable':
        if (rec.seq > this.#stableSeq) {
          this.#stableSeq = rec.seq
          this.#stableRoot = rec.stateRoot
          this.#stableProof = rec.proof
        }
        if (rec.view >= this.#view) {
          this.#view = rec.view
          this.#viewChanging = rec.viewChanging
        }
        return
      case 'rec-accept': accepted.push(rec.prePrepare); return
      case 'rec-prepared': {
        const seq = rec.cert.prePrepare.msg.seq
        const prior = this.#preparedCerts.get(seq)
        if (prior === undefined || prior.prePrepare.msg.view <= rec.cert.prePrepare.msg.view) this.#preparedCerts.set(seq, rec.cert)
        return
      }
      case 'rec-new-view': {
        const nv = rec.newView
        if (nv.msg.view >= this.#view) {
          this.#view = nv.msg.view
          this.#viewChanging = false
          this.#newView = nv
          if (nv.from === this.self) this.#newViewSentFor = nv.msg.view
        }
      }
    }
  }
}

/** For logs: a short, stable name for a digest. */
export const shortDigest = (h: Hash): string => toHex(h).slice(0, 12)
