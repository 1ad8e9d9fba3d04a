// Castro-Liskov PBFT as a pure state machine: three-phase ordering of batches, checkpoints with garbage
// collection, view change with prepared certificates, and state transfer for a replica left behind.
// Every input returns the effects to perform; persist effects precede the messages that depend on them.
import { bytesEqual, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { batchFull, makeBatch, overBatchBudget, splitByBatchBudget, txKey } from '../core/batch.ts'
import type { Batch, Tx } from '../core/batch.ts'
import { MAX_BATCH_BYTES } from '../core/limits.ts'
import { Mempool } from '../core/mempool.ts'
import type { MessageSigner, MessageVerifier, Signed } from '../core/message.ts'
import type { Checkpoint, Effect, LogEvent, PersistedRecord, Protocol, ProtocolStatus, TimerId } from '../core/protocol.ts'
import type { Quorums } from '../core/quorum.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import { newViewProposals, validViewChange } from './certificates.ts'
import type { CertContext, NewViewPlan } from './certificates.ts'
import { pbftCodec } from './codec.ts'
import { PBFT } from './messages.ts'
import type { CheckpointMsg, Commit, NewView, PbftMessage, PbftRecord, PrePrepare, Prepare, PreparedCert, Status, ViewChange } from './messages.ts'
import { pbftParams } from './params.ts'
import type { PbftParams } from './params.ts'
import { RecentSet } from './recent.ts'

export interface PbftOptions {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  readonly signer: MessageSigner<PbftMessage>
  readonly verifier: MessageVerifier<PbftMessage>
  readonly params?: Partial<PbftParams>
}

type Fx = Effect<PbftMessage>[]

interface Slot {
  pp?: Signed<PrePrepare>
  readonly prepares: Map<ValidatorId, Signed<Prepare>>
  readonly commits: Map<ValidatorId, Signed<Commit>>
  prepared: boolean
  committed: boolean
  /** When this replica first heard of the slot: only slots stuck longer than a resend period are resent. */
  readonly since: number
}

interface Decided { readonly batch: Batch, readonly cert: readonly Signed<Commit>[] }

export const PBFT_TIMERS = { viewChange: 'pbft/view-change', batch: 'pbft/batch', relay: 'pbft/relay', resend: 'pbft/resend' } as const

/** How many recent checkpoint votes to keep per validator: enough to find a quorum, bounded. */
const CHECKPOINT_VOTES_PER_VALIDATOR = 4
/** Doubling stops here so the timeout cannot overflow. */
const MAX_TIMEOUT_DOUBLINGS = 16

export class Pbft implements Protocol<PbftMessage> {
  readonly codec = pbftCodec
  protected readonly self: ValidatorId
  protected readonly validators: ValidatorSet
  protected readonly params: PbftParams
  protected readonly quorums: Quorums
  readonly #signer: MessageSigner<PbftMessage>
  readonly #verifier: MessageVerifier<PbftMessage>

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
  #fetching = -1
  #committedAtLastResend = -1

  readonly #slots = new Map<number, Slot>()
  readonly #preparedCerts = new Map<number, PreparedCert>()
  readonly #decided = new Map<number, Decided>()
  /** Known transactions not yet in an accepted pre-prepare. */
  readonly #pending = new Mempool()
  /** Transactions in accepted pre-prepares that have not committed yet. */
  readonly #inFlight = new Map<string, Tx>()
  readonly #committedKeys = new RecentSet(1 << 16)
  #relayBuffer: Tx[] = []
  /** Each validator's latest view-change. */
  readonly #viewChanges = new Map<ValidatorId, Signed<ViewChange>>()
  #newView: Signed<NewView> | undefined
  #newViewSentFor = -1
  readonly #checkpointVotes = new Map<ValidatorId, Signed<CheckpointMsg>[]>()
  #future: Signed<PbftMessage>[] = []
  readonly #armed = new Set<TimerId>()
  readonly #lastHelp = new Map<ValidatorId, number>()
  #now = 0
  #out: Fx = []

  constructor (opts: PbftOptions) {
    if (!opts.validators.has(opts.self)) throw new Error(`${opts.self} is not in the validator set`)
    this.self = opts.self
    this.validators = opts.validators
    this.params = pbftParams(opts.params)
    this.quorums = opts.validators.quorums
    this.#signer = opts.signer
    this.#verifier = opts.verifier
  }

  // ---- hooks that test builds override to plant bugs (see test/sim) ----

  /** Votes needed to commit (prepare needs one fewer, from backups). */
  protected quorum (): number { return this.quorums.quorum }
  /** The transactions the primary puts in the batch at `seq`. */
  protected proposalTxs (txs: Tx[], _seq: number): Tx[] { return txs }
  /** Called when the view-change timer fires. */
  protected onViewTimeout (): void { this.#startViewChange(this.#view + 1) }

  // ---- Protocol ----

  restore (records: readonly PersistedRecord<PbftMessage>[]): void {
    const accepted: Signed<PrePrepare>[] = []
    for (const { msg } of records) this.#replay(msg as PbftRecord, accepted)
    for (const seq of this.#preparedCerts.keys()) if (seq <= this.#stableSeq) this.#preparedCerts.delete(seq)
    this.#lastAssigned = this.#stableSeq
    if (this.#viewChanging) return
    for (const pp of accepted) {
      const { view, seq } = pp.msg
      if (view !== this.#view || seq <= this.#stableSeq) continue
      const slot = this.#slot(seq)
      slot.pp = pp
      this.#lastAssigned = Math.max(this.#lastAssigned, seq)
      if (this.self !== this.#primary()) slot.prepares.set(this.self, this.#sign(this.#prepareFor(pp.msg)))
      const cert = this.#preparedCerts.get(seq)
      if (cert !== undefined && cert.prePrepare.msg.view === view) {
        slot.prepared = true
        slot.commits.set(this.self, this.#sign(this.#commitFor(pp.msg)))
      }
      for (const tx of pp.msg.batch.txs) this.#inFlight.set(txKey(tx), tx)
    }
  }

  start (executed: Checkpoint, now: number): Fx {
    this.#begin(now)
    this.#lastExecuted = this.#lastCommitted = executed.seq
    this.#lastAssigned = Math.max(this.#lastAssigned, this.#lastCommitted)
    if (this.#lastCommitted < this.#stableSeq) this.#requestState()
    if (this.#viewChanging) this.#sendViewChange()
    this.#broadcastStatus()
    this.#armWork()
    return this.#end()
  }

  onMessage (from: ValidatorId, s: Signed<PbftMessage>, now: number): Fx {
    this.#begin(now)
    if (s.msg.protocol === PBFT && this.validators.has(s.from)) this.#dispatch(from, s)
    return this.#end()
  }

  onTimer (timer: TimerId, now: number): Fx {
    this.#begin(now)
    this.#armed.delete(timer)
    switch (timer) {
      case PBFT_TIMERS.viewChange: this.onViewTimeout(); break
      case PBFT_TIMERS.batch: this.#propose(true); break
      case PBFT_TIMERS.relay: this.#flushRelay(); break
      case PBFT_TIMERS.resend: this.#resend(); break
    }
    return this.#end()
  }

  onRequest (batch: Batch, now: number): Fx {
    this.#begin(now)
    for (const tx of batch.txs) if (this.#addPending(tx)) this.#relayBuffer.push(tx)
    if (this.#relayBuffer.length > 0) {
      const relayDelay = this.params.relayDelayMs ?? this.params.batchDelayMs
      if (relayDelay === 0 || batchFull(this.#relayBuffer, this.params.batchSize)) this.#flushRelay()
      else this.#arm(PBFT_TIMERS.relay, relayDelay)
    }
    this.#propose(false)
    this.#armWork()
    return this.#end()
  }

  onExecuted (seq: number, stateRoot: Hash, now: number): Fx {
    this.#begin(now)
    if (seq > this.#lastCommitted) this.#installedSnapshot(seq)
    this.#lastExecuted = Math.max(this.#lastExecuted, seq)
    if (seq % this.params.checkpointInterval === 0 && seq > this.#stableSeq) {
      const cp = this.#sign<CheckpointMsg>({ protocol: PBFT, type: 'checkpoint', seq, stateRoot })
      this.#broadcast(cp)
      this.#recordCheckpoint(cp)
    }
    this.#deliver()
    this.#armWork()
    return this.#end()
  }

  status (): ProtocolStatus {
    return {
      protocol: PBFT,
      view: this.#view,
      primary: this.#primary(),
      viewChanging: this.#viewChanging,
      lastCommitted: this.#lastCommitted,
      lastExecuted: this.#lastExecuted,
      stableCheckpoint: this.#stableSeq,
      pending: this.#pending.size + this.#inFlight.size,
      resources: { held: this.#future.length, wastedScans: 0 }
    }
  }

  // ---- plumbing ----

  #begin (now: number): void {
    this.#now = now
    this.#out = []
  }

  #end (): Fx {
    const out = this.#out
    this.#out = []
    return out
  }

  #sign<T extends PbftMessage> (msg: T): Signed<T> { return this.#signer.sign(msg) }
  #broadcast (s: Signed<PbftMessage>): void { this.#out.push({ kind: 'broadcast', msg: s }) }
  #send (to: ValidatorId, s: Signed<PbftMessage>): void { this.#out.push({ kind: 'send', to: [to], msg: s }) }
  #persist (seq: number, msg: PbftRecord, pruneBelow?: number): void {
    this.#out.push(pruneBelow === undefined ? { kind: 'persist', record: { seq, msg } } : { kind: 'persist', record: { seq, msg }, pruneBelow })
  }

  #log (event: LogEvent): void { this.#out.push({ kind: 'log', event }) }

  #arm (id: TimerId, ms: number): void {
    if (this.#armed.has(id)) return
    this.#armed.add(id)
    this.#out.push({ kind: 'setTimer', id, ms })
  }

  #disarm (id: TimerId): void {
    if (!this.#armed.delete(id)) return
    this.#out.push({ kind: 'cancelTimer', id })
  }

  #primary (view = this.#view): ValidatorId { return this.validators.primary(view) }
  #isPrimary (): boolean { return this.#primary() === this.self }
  #inWindow (seq: number): boolean { return seq > this.#stableSeq && seq <= this.#stableSeq + this.params.watermarkWindow }
  #timeout (): number {
    const doublings = Math.min(this.#viewChangeAttempts, MAX_TIMEOUT_DOUBLINGS)
    return Math.min(this.params.viewChangeTimeoutMs * 2 ** doublings, this.params.maxViewChangeTimeoutMs)
  }

  #certContext (): CertContext {
    return { validators: this.validators, verifier: this.#verifier, quorum: this.quorum(), watermarkWindow: this.params.watermarkWindow }
  }

  #signedBy (s: Signed<PbftMessage>): boolean { return this.validators.has(s.from) && this.#verifier.verify(s) }

  #slot (seq: number): Slot {
    let slot = this.#slots.get(seq)
    if (slot === undefined) {
      slot = { prepares: new Map(), commits: new Map(), prepared: false, committed: false, since: this.#now }
      this.#slots.set(seq, slot)
    }
    return slot
  }

  #byValidatorOrder<T extends Signed<PbftMessage>> (items: Iterable<T>): T[] {
    return [...items].sort((a, b) => this.validators.indexOf(a.from) - this.validators.indexOf(b.from))
  }

  #prepareFor (pp: PrePrepare): Prepare { return { protocol: PBFT, type: 'prepare', view: pp.view, seq: pp.seq, digest: pp.batch.id } }
  #commitFor (pp: PrePrepare): Commit { return { protocol: PBFT, type: 'commit', view: pp.view, seq: pp.seq, digest: pp.batch.id } }

  #hasWork (): boolean { return this.#pending.size > 0 || this.#inFlight.size > 0 || this.#decided.size > 0 }

  /** Keeps the view-change and resend timers running exactly while this replica waits for something. */
  #armWork (): void {
    const waiting = this.#hasWork() || this.#lastCommitted < this.#stableSeq
    if (waiting || this.#viewChanging) this.#arm(PBFT_TIMERS.resend, this.params.resendIntervalMs)
    if (this.#viewChanging) return
    if (this.#hasWork()) this.#arm(PBFT_TIMERS.viewChange, this.#timeout())
    else this.#disarm(PBFT_TIMERS.viewChange)
  }

  #restartViewTimer (): void {
    this.#disarm(PBFT_TIMERS.viewChange)
    this.#armWork()
  }

  // ---- requests and proposals ----

  #addPending (tx: Tx): boolean {
    const key = txKey(tx)
    if (this.#committedKeys.has(key) || this.#inFlight.has(key) || this.#pending.has(key)) return false
    return this.#pending.add(tx).ok
  }

  #flushRelay (): void {
    this.#disarm(PBFT_TIMERS.relay)
    if (this.#relayBuffer.length === 0) return
    for (const txs of splitByBatchBudget(this.#relayBuffer)) this.#broadcast(this.#sign({ protocol: PBFT, type: 'request', txs }))
    this.#relayBuffer = []
  }

  #propose (force: boolean): void {
    if (this.#viewChanging || !this.#isPrimary()) return
    while (this.#lastAssigned + 1 <= this.#stableSeq + this.params.watermarkWindow) {
      const txs = this.#pending.take(this.params.batchSize, undefined, MAX_BATCH_BYTES)
      if (txs.length === 0) return
      if (!batchFull(txs, this.params.batchSize) && !force) {
        this.#arm(PBFT_TIMERS.batch, this.params.batchDelayMs)
        return
      }
      const seq = this.#lastAssigned + 1
      const pp = this.#sign<PrePrepare>({ protocol: PBFT, type: 'pre-prepare', view: this.#view, seq, batch: makeBatch(this.proposalTxs(txs, seq)) })
      this.#accept(pp)
      this.#broadcast(pp)
      force = false
    }
  }

  // ---- normal case ----

  #dispatch (from: ValidatorId, s: Signed<PbftMessage>): void {
    switch (s.msg.type) {
      case 'request':
        for (const tx of s.msg.txs) this.#addPending(tx)
        this.#propose(false)
        this.#armWork()
        return
      case 'pre-prepare': case 'prepare': case 'commit': this.#onPhase(from, s); return
      case 'checkpoint': this.#onCheckpoint(s as Signed<CheckpointMsg>); return
      case 'view-change': this.#onViewChange(from, s as Signed<ViewChange>); return
      case 'new-view': this.#onNewView(s as Signed<NewView>); return
      case 'status': this.#onStatus(from, s.msg); return
      default: this.#log({ type: 'invalid-message', from, reason: `unexpected ${s.msg.type}` })
    }
  }

  #onPhase (from: ValidatorId, s: Signed<PbftMessage>): void {
    const m = s.msg as PrePrepare | Prepare | Commit
    if (m.view < this.#view) {
      this.#helpLowerView(from)
      return
    }
    if (m.view > this.#view || this.#viewChanging) {
      if (this.#future.length < this.params.watermarkWindow * this.validators.n * 3) this.#future.push(s)
      return
    }
    if (!this.#inWindow(m.seq)) return
    if (m.type === 'pre-prepare') this.#onPrePrepare(s as Signed<PrePrepare>)
    else if (m.type === 'prepare') this.#onPrepare(s as Signed<Prepare>)
    else this.#onCommit(s as Signed<Commit>)
  }

  #onPrePrepare (s: Signed<PrePrepare>): void {
    const m = s.msg
    if (s.from !== this.#primary()) return this.#log({ type: 'invalid-message', from: s.from, reason: 'pre-prepare from a backup' })
    if (overBatchBudget(m.batch.txs)) return this.#log({ type: 'invalid-message', from: s.from, reason: `batch over ${MAX_BATCH_BYTES} bytes` })
    const keys = new Set(m.batch.txs.map(txKey))
    if (keys.size !== m.batch.txs.length) return this.#log({ type: 'invalid-message', from: s.from, reason: 'batch repeats a transaction' })
    const slot = this.#slot(m.seq)
    if (slot.pp !== undefined) {
      if (!bytesEqual(slot.pp.msg.batch.id, m.batch.id)) this.#log({ type: 'equivocation', from: s.from, view: m.view, seq: m.seq })
      return
    }
    this.#accept(s)
  }

  /** Accepts a pre-prepare (the primary: its own proposal) and, as a backup, prepares it. */
  #accept (pp: Signed<PrePrepare>): void {
    const m = pp.msg
    const slot = this.#slot(m.seq)
    slot.pp = pp
    this.#lastAssigned = Math.max(this.#lastAssigned, m.seq)
    this.#persist(m.seq, { protocol: PBFT, type: 'rec-accept', prePrepare: pp })
    for (const tx of m.batch.txs) {
      const key = txKey(tx)
      this.#pending.delete(key)
      if (!this.#committedKeys.has(key) && m.seq > this.#lastCommitted) this.#inFlight.set(key, tx)
    }
    if (pp.from !== this.self) {
      const prepare = this.#sign(this.#prepareFor(m))
      slot.prepares.set(this.self, prepare)
      this.#broadcast(prepare)
    }
    this.#checkPrepared(m.seq, slot)
    this.#armWork()
  }

  #onPrepare (s: Signed<Prepare>): void {
    if (s.from === this.#primary()) return
    const slot = this.#slot(s.msg.seq)
    if (!slot.prepares.has(s.from)) slot.prepares.set(s.from, s)
    this.#checkPrepared(s.msg.seq, slot)
  }

  #onCommit (s: Signed<Commit>): void {
    const slot = this.#slot(s.msg.seq)
    if (!slot.commits.has(s.from)) slot.commits.set(s.from, s)
    this.#checkCommitted(s.msg.seq, slot)
  }

  #checkPrepared (seq: number, slot: Slot): void {
    if (slot.prepared || slot.pp === undefined) return
    const digest = slot.pp.msg.batch.id
    const primary = this.#primary()
    const matching = [...slot.prepares.values()].filter((p) => p.from !== primary && bytesEqual(p.msg.digest, digest))
    if (matching.length < this.quorum() - 1) return
    slot.prepared = true
    const cert: PreparedCert = { prePrepare: slot.pp, prepares: this.#byValidatorOrder(matching).slice(0, this.quorum() - 1) }
    this.#preparedCerts.set(seq, cert)
    this.#persist(seq, { protocol: PBFT, type: 'rec-prepared', cert })
    const commit = this.#sign(this.#commitFor(slot.pp.msg))
    slot.commits.set(this.self, commit)
    this.#broadcast(commit)
    this.#checkCommitted(seq, slot)
  }

  #checkCommitted (seq: number, slot: Slot): void {
    if (slot.committed || !slot.prepared || slot.pp === undefined) return
    const digest = slot.pp.msg.batch.id
    const matching = [...slot.commits.values()].filter((c) => bytesEqual(c.msg.digest, digest))
    if (matching.length < this.quorum()) return
    slot.committed = true
    if (seq > this.#lastCommitted) this.#decided.set(seq, { batch: slot.pp.msg.batch, cert: this.#byValidatorOrder(matching).slice(0, this.quorum()) })
    this.#deliver()
  }

  /** Hands decided batches to the executor strictly in sequence order. */
  #deliver (): void {
    let progressed = false
    for (let d = this.#decided.get(this.#lastCommitted + 1); d !== undefined; d = this.#decided.get(this.#lastCommitted + 1)) {
      const seq = ++this.#lastCommitted
      this.#decided.delete(seq)
      this.#out.push({ kind: 'commit', seq, batch: d.batch, certificate: d.cert })
      for (const tx of d.batch.txs) {
        const key = txKey(tx)
        this.#pending.delete(key)
        this.#inFlight.delete(key)
        this.#committedKeys.add(key)
      }
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
    const votes = (this.#checkpointVotes.get(s.from) ?? []).filter((v) => v.msg.seq !== s.msg.seq)
    votes.push(s)
    votes.sort((a, b) => b.msg.seq - a.msg.seq)
    this.#checkpointVotes.set(s.from, votes.slice(0, CHECKPOINT_VOTES_PER_VALIDATOR))
    const matching: Signed<CheckpointMsg>[] = []
    for (const list of this.#checkpointVotes.values()) {
      for (const v of list) if (v.msg.seq === s.msg.seq && bytesEqual(v.msg.stateRoot, s.msg.stateRoot)) matching.push(v)
    }
    if (matching.length >= this.quorum()) this.#makeStable(s.msg.seq, s.msg.stateRoot, this.#byValidatorOrder(matching).slice(0, this.quorum()))
  }

  #makeStable (seq: number, root: Hash, proof: readonly Signed<CheckpointMsg>[]): void {
    if (seq <= this.#stableSeq) return
    this.#stableSeq = seq
    this.#stableRoot = root
    this.#stableProof = proof
    this.#persist(seq, { protocol: PBFT, type: 'rec-stable', seq, stateRoot: root, proof, view: this.#view, viewChanging: this.#viewChanging }, seq)
    for (const map of [this.#slots, this.#preparedCerts, this.#decided] as Map<number, unknown>[]) {
      for (const k of map.keys()) if (k <= seq) map.delete(k)
    }
    for (const [id, votes] of this.#checkpointVotes) this.#checkpointVotes.set(id, votes.filter((v) => v.msg.seq > seq))
    this.#lastAssigned = Math.max(this.#lastAssigned, seq)
    this.#log({ type: 'stable-checkpoint', seq })
    if (this.#lastCommitted < seq) this.#requestState()
    this.#propose(false)
  }

  #requestState (): void {
    if (this.#fetching === this.#stableSeq) return
    this.#fetching = this.#stableSeq
    const from = this.#stableProof.map((s) => s.from).filter((id) => id !== this.self)
    this.#out.push({ kind: 'fetchState', from, checkpoint: { seq: this.#stableSeq, stateRoot: this.#stableRoot } })
    this.#log({ type: 'state-transfer', seq: this.#stableSeq })
  }

  /** The executor installed a snapshot at `seq`: everything at or below it is done. */
  #installedSnapshot (seq: number): void {
    this.#lastCommitted = seq
    this.#lastAssigned = Math.max(this.#lastAssigned, seq)
    for (const k of this.#decided.keys()) if (k <= seq) this.#decided.delete(k)
    // Which pending transactions the snapshot covered is unknown here; replicas that relayed them still
    // hold them, so forgetting ours cannot lose a transaction, while keeping them could time out forever.
    this.#pending.clear()
    this.#inFlight.clear()
    for (const [s, slot] of this.#slots) {
      if (s > seq && slot.pp !== undefined) for (const tx of slot.pp.msg.batch.txs) this.#inFlight.set(txKey(tx), tx)
    }
    this.#log({ type: 'snapshot-installed', seq })
  }

  // ---- view change ----

  #startViewChange (view: number): void {
    if (view <= this.#view && (this.#viewChanging || view < this.#view)) return
    this.#view = view
    this.#viewChanging = true
    this.#viewChangeAttempts++
    this.#disarm(PBFT_TIMERS.batch)
    this.#disarm(PBFT_TIMERS.viewChange)
    this.#slots.clear()
    this.#persist(this.#stableSeq, { protocol: PBFT, type: 'rec-view', view, viewChanging: true })
    this.#log({ type: 'view-change', view })
    this.#sendViewChange()
    this.#armWork()
  }

  #sendViewChange (): void {
    const prepared = [...this.#preparedCerts.entries()].filter(([seq]) => seq > this.#stableSeq).sort(([a], [b]) => a - b).map(([, c]) => c)
    const vc = this.#sign<ViewChange>({
      protocol: PBFT,
      type: 'view-change',
      view: this.#view,
      stableSeq: this.#stableSeq,
      stableRoot: this.#stableRoot,
      checkpointProof: this.#stableProof,
      prepared
    })
    this.#viewChanges.set(this.self, vc)
    this.#broadcast(vc)
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
    if (votes.length < this.quorum()) return
    this.#arm(PBFT_TIMERS.viewChange, this.#timeout())
    if (this.#isPrimary() && this.#newViewSentFor !== this.#view) this.#sendNewView(votes.slice(0, this.quorum()))
  }

  #onViewChange (from: ValidatorId, s: Signed<ViewChange>): void {
    const w = s.msg.view
    if (w < this.#view || (w === this.#view && !this.#viewChanging)) {
      this.#helpLowerView(from)
      return
    }
    const prior = this.#viewChanges.get(s.from)
    if (prior !== undefined && prior.msg.view >= w) return
    if (!validViewChange(this.#certContext(), s.msg)) return this.#log({ type: 'invalid-message', from: s.from, reason: 'invalid view-change' })
    this.#viewChanges.set(s.from, s)
    // f + 1 replicas want a higher view: at least one is honest, so join the smallest such view.
    const higher = [...this.#viewChanges.values()].filter((v) => v.msg.view > this.#view)
    if (higher.length >= this.quorums.weak) this.#startViewChange(Math.min(...higher.map((v) => v.msg.view)))
    this.#afterViewChangeVote()
  }

  #sendNewView (viewChanges: Signed<ViewChange>[]): void {
    this.#newViewSentFor = this.#view
    const plan = newViewProposals(viewChanges)
    const prePrepares = plan.proposals.map((batch, i) =>
      this.#sign<PrePrepare>({ protocol: PBFT, type: 'pre-prepare', view: this.#view, seq: plan.stableSeq + 1 + i, batch }))
    const nv = this.#sign<NewView>({ protocol: PBFT, type: 'new-view', view: this.#view, viewChanges, prePrepares })
    this.#persist(this.#stableSeq, { protocol: PBFT, type: 'rec-new-view', newView: nv })
    this.#broadcast(nv)
    this.#installView(nv, plan)
  }

  #onNewView (s: Signed<NewView>): void {
    const m = s.msg
    if (m.view < this.#view || (m.view === this.#view && !this.#viewChanging)) return
    const plan = this.#checkNewView(s)
    if (plan === undefined) return this.#log({ type: 'invalid-message', from: s.from, reason: 'invalid new-view' })
    this.#persist(this.#stableSeq, { protocol: PBFT, type: 'rec-new-view', newView: s })
    this.#installView(s, plan)
  }

  #checkNewView (s: Signed<NewView>): NewViewPlan | undefined {
    const m = s.msg
    if (s.from !== this.#primary(m.view)) return undefined
    const ctx = this.#certContext()
    const senders = new Set<ValidatorId>()
    for (const vc of m.viewChanges) {
      if (vc.msg.view !== m.view || senders.has(vc.from) || !this.#signedBy(vc) || !validViewChange(ctx, vc.msg)) return undefined
      senders.add(vc.from)
    }
    if (senders.size < this.quorum()) return undefined
    const plan = newViewProposals(m.viewChanges)
    if (m.prePrepares.length !== plan.proposals.length) return undefined
    for (let i = 0; i < plan.proposals.length; i++) {
      const pp = m.prePrepares[i]
      if (pp.from !== s.from || pp.msg.view !== m.view || pp.msg.seq !== plan.stableSeq + 1 + i) return undefined
      if (!bytesEqual(pp.msg.batch.id, plan.proposals[i].id) || !this.#signedBy(pp)) return undefined
    }
    return plan
  }

  #installView (nv: Signed<NewView>, plan: NewViewPlan): void {
    const view = nv.msg.view
    this.#view = view
    this.#viewChanging = false
    this.#newView = nv
    this.#disarm(PBFT_TIMERS.viewChange)
    this.#slots.clear()
    if (plan.stableSeq > this.#stableSeq) this.#makeStable(plan.stableSeq, plan.stableRoot, plan.stableProof)
    this.#lastAssigned = Math.max(this.#stableSeq, plan.stableSeq + plan.proposals.length)
    // Transactions of proposals that did not survive the view change go back to pending.
    const surviving = new Set<string>()
    for (const b of plan.proposals) for (const tx of b.txs) surviving.add(txKey(tx))
    for (const [key, tx] of this.#inFlight) {
      if (surviving.has(key)) continue
      this.#inFlight.delete(key)
      this.#pending.add(tx)
    }
    this.#log({ type: 'new-view', view, primary: this.#primary() })
    for (const pp of nv.msg.prePrepares) if (this.#inWindow(pp.msg.seq)) this.#accept(pp)
    const future = this.#future
    this.#future = []
    for (const s of future) {
      const v = (s.msg as Prepare).view
      if (v === view) this.#onPhase(s.from, s)
      else if (v > view) this.#future.push(s)
    }
    this.#propose(false)
    this.#armWork()
  }

  // ---- retransmission and helping replicas that fell behind ----

  #broadcastStatus (): void {
    this.#broadcast(this.#sign<Status>({ protocol: PBFT, type: 'status', view: this.#view, viewChanging: this.#viewChanging, stableSeq: this.#stableSeq, lastCommitted: this.#lastCommitted }))
  }

  #resend (): void {
    if (this.#viewChanging) {
      const mine = this.#viewChanges.get(this.self)
      if (mine !== undefined && mine.msg.view === this.#view) this.#broadcast(mine)
    } else {
      const primary = this.#primary()
      if (!this.#isPrimary() && this.#pending.size > 0) {
        this.#send(primary, this.#sign({ protocol: PBFT, type: 'request', txs: this.#pending.take(this.params.batchSize * 4, undefined, MAX_BATCH_BYTES) }))
      }
      for (const [seq, slot] of this.#slots) {
        if (seq <= this.#lastCommitted || slot.pp === undefined || this.#now - slot.since < this.params.resendIntervalMs) continue
        if (slot.pp.from === this.self) this.#broadcast(slot.pp)
        const mine = [slot.prepares.get(this.self), slot.commits.get(this.self)]
        for (const s of mine) if (s !== undefined) this.#broadcast(s)
      }
    }
    if (this.#lastCommitted < this.#stableSeq) {
      this.#fetching = -1
      this.#requestState()
    }
    // Only a replica that made no progress for a whole period asks its peers what it is missing.
    if (this.#lastCommitted === this.#committedAtLastResend) this.#broadcastStatus()
    this.#committedAtLastResend = this.#lastCommitted
    this.#armWork()
  }

  #mayHelp (peer: ValidatorId): boolean {
    const last = this.#lastHelp.get(peer)
    if (last !== undefined && this.#now - last < this.params.resendIntervalMs) return false
    this.#lastHelp.set(peer, this.#now)
    return true
  }

  #helpLowerView (peer: ValidatorId): void {
    if (this.#newView !== undefined && !this.#viewChanging && peer !== this.self && this.#mayHelp(peer)) this.#send(peer, this.#newView)
  }

  #onStatus (peer: ValidatorId, st: Status): void {
    if (peer === this.self) return
    const behindCheckpoint = st.stableSeq < this.#stableSeq && st.lastCommitted < this.#stableSeq
    const behindView = !this.#viewChanging && this.#newView !== undefined &&
      (st.view < this.#view || (st.view === this.#view && st.viewChanging))
    if (!(behindCheckpoint || behindView) || !this.#mayHelp(peer)) return
    if (behindCheckpoint) for (const cp of this.#stableProof) this.#send(peer, cp)
    if (behindView && this.#newView !== undefined) this.#send(peer, this.#newView)
  }

  // ---- restart ----

  #replay (rec: PbftRecord, accepted: Signed<PrePrepare>[]): void {
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
