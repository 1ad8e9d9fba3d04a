// Narwhal (Danezis et al., EuroSys 2022) and partially synchronous Bullshark (Spiegelman et al., CCS 2022)
// as one pure state machine. Narwhal makes data available: every validator seals batches, proposes one
// header per round over a quorum of the previous round's certificates, and a quorum of votes certifies it.
// Bullshark orders the resulting DAG with no messages of its own: an anchor every two rounds, committed once
// n - quorum + 1 (f + 1 at n = 3f + 1) next-round certificates reference it, its history as one commit.
import { fromHex, sha256, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { batchBytes, batchFull, makeBatch, overBatchBudget, txKey } from '../core/batch.ts'
import type { Batch, Tx } from '../core/batch.ts'
import { FetchSchedule } from '../core/fetch-schedule.ts'
import { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES } from '../core/limits.ts'
import { encodeBody } from '../core/message.ts'
import type { MessageSigner, MessageVerifier, Signed } from '../core/message.ts'
import { CheckpointVotes } from '../core/checkpoint-votes.ts'
import { HelpLimiter } from '../core/help.ts'
import { roundRobin } from '../core/leaders.ts'
import type { LeaderSchedule } from '../core/leaders.ts'
import { Outbox } from '../core/outbox.ts'
import type { Checkpoint, Effect, PersistedRecord, Protocol, ProtocolStatus, TimerId } from '../core/protocol.ts'
import { quorumBlocking } from '../core/quorum.ts'
import type { Quorums } from '../core/quorum.ts'
import { TxTracker } from '../core/tx-tracker.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import { MAX_DIGESTS, bullsharkCodec } from './codec.ts'
import { Dag } from './dag.ts'
import type { Vertex } from './dag.ts'
import { Parking } from './parking.ts'
import { BULLSHARK } from './messages.ts'
import type { BatchMsg, BullsharkMessage, BullsharkRecord, Certificate, CheckpointMsg, Fetch, Frontier, Header, Status, Vote } from './messages.ts'
import { bullsharkParams } from './params.ts'
import type { BullsharkParams } from './params.ts'

export interface BullsharkOptions {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  readonly signer: MessageSigner<BullsharkMessage>
  readonly verifier: MessageVerifier<BullsharkMessage>
  readonly params?: Partial<BullsharkParams>
}

type Fx = Effect<BullsharkMessage>[]

export const BULLSHARK_TIMERS = { header: 'bullshark/header', batch: 'bullshark/batch', resend: 'bullshark/resend' } as const


const headerDigests = new WeakMap<Header, string>()
export function headerDigest (h: Header): string {
  let d = headerDigests.get(h)
  if (d === undefined) {
    d = toHex(sha256(encodeBody(bullsharkCodec, h)))
    headerDigests.set(h, d)
  }
  return d
}

interface StoredBatch { readonly txs: readonly Tx[], round: number }
interface OwnTx { readonly tx: Tx, round: number }
interface Stable { readonly msg: CheckpointMsg, readonly proof: readonly Signed<CheckpointMsg>[] }

export class Bullshark implements Protocol<BullsharkMessage> {
  readonly codec = bullsharkCodec
  protected readonly self: ValidatorId
  protected readonly validators: ValidatorSet
  protected readonly params: BullsharkParams
  protected readonly quorums: Quorums
  readonly #verifier: MessageVerifier<BullsharkMessage>
  readonly #selfIndex: number

  readonly #dag = new Dag()
  readonly #batches = new Map<string, StoredBatch>()
  /** Round of this node's latest header. */
  #round = 0
  readonly #headers = new Map<number, Signed<Header>>()
  #votesForMine = new Map<ValidatorId, Signed<Vote>>()
  /** round -> author -> digest this node voted for: at most one vote per (author, round), ever. */
  readonly #voted = new Map<number, Map<ValidatorId, string>>()
  /** Headers and certificates parked while their parents or payload are fetched: bounded per author. */
  readonly #waitingHeaders: Parking<Signed<Header>>
  readonly #waitingCerts: Parking<Certificate>
  /** Own sealed batches not yet in a header. */
  #ready: Hash[] = []
  readonly #ownBatchKeys = new Map<string, string[]>()
  /** Pending: transactions submitted here and not yet batched; in flight: those this node batched that
   *  have not committed, with the round of the header that carries them (0 until one does). */
  readonly #txs = new TxTracker<OwnTx>()
  /** Vertices with payload not ordered yet: while any exist, rounds advance without waiting for work. */
  readonly #unordered = new Set<string>()

  #lastOrdered: number[]
  #lastAnchor = 0
  #gcRound = 0
  /** Parents at or below this round count as held: garbage-collected, or behind an installed snapshot. */
  #floor = 0
  #commitSeq = 0
  #lastExecuted = 0
  /** State root after #lastExecuted, for checkpoints at anchors that committed nothing new. */
  #executedRoot: Hash = new Uint8Array(32)
  readonly #frontiers = new Map<number, Frontier>()
  /** Restarted without a frontier matching its state: it orders nothing until a snapshot brings one. */
  #lost = false
  readonly #checkpointVotes = new CheckpointVotes<CheckpointMsg>((m) => m.anchorRound, checkpointKey)
  #stable: Stable | undefined
  /** The checkpoint whose snapshot is being downloaded; the schedule keeps it to one at a time, with backoff. */
  #catchingUp: Frontier | undefined
  readonly #stateFetch: FetchSchedule

  #restoredCerts: Certificate[] = []
  #restoredFrontiers: Frontier[] = []
  #headerExpired = false
  #progressAtResend = ''
  readonly #o: Outbox<BullsharkMessage>
  readonly #leaders: LeaderSchedule
  readonly #help: HelpLimiter
  /** Per peer: when its fetch-answer window began and how many items it has been sent in it. */
  readonly #fetchServed = new Map<ValidatorId, { since: number, items: number }>()
  readonly #relayed = new WeakMap<Certificate, Signed<Certificate>>()
  #draining = false
  #restoring = false

  constructor (opts: BullsharkOptions) {
    if (!opts.validators.has(opts.self)) throw new Error(`${opts.self} is not in the validator set`)
    this.self = opts.self
    this.validators = opts.validators
    this.params = bullsharkParams(opts.params)
    this.quorums = opts.validators.quorums
    this.#verifier = opts.verifier
    this.#o = new Outbox(opts.signer)
    this.#leaders = roundRobin(opts.validators)
    this.#help = new HelpLimiter(this.params.resendIntervalMs)
    this.#selfIndex = opts.validators.indexOf(opts.self)
    this.#lastOrdered = opts.validators.ids.map(() => 0)
    this.#waitingHeaders = new Parking(this.params.parkPerAuthor)
    this.#waitingCerts = new Parking(this.params.parkPerAuthor)
    this.#stateFetch = new FetchSchedule({ baseDelayMs: this.params.resendIntervalMs, maxDelayMs: 16 * this.params.resendIntervalMs })
  }

  // ---- hooks that test builds override to plant bugs (see test/sim) ----

  /** Certificates of the next round that must reference an anchor to commit it directly: n - quorum + 1,
   *  which every quorum of that round meets (f + 1 only when n = 3f + 1 or 3f + 2; see quorumBlocking). */
  protected commitStake (): number { return quorumBlocking(this.quorums) }
  /** Whether an earlier anchor is in the causal history of a committed one (and so commits first). */
  protected earlierAnchorLinked (dag: Dag, from: Vertex, to: Vertex): boolean { return dag.linked(from, to) }

  // ---- Protocol ----

  restore (records: readonly PersistedRecord<BullsharkMessage>[]): void {
    for (const { msg } of records) {
      const rec = msg as BullsharkRecord
      switch (rec.type) {
        case 'rec-header':
          this.#headers.set(rec.header.msg.round, rec.header)
          this.#round = Math.max(this.#round, rec.header.msg.round)
          break
        case 'rec-vote': this.#votedAt(rec.round).set(rec.author, toHex(rec.digest)); break
        case 'certificate': this.#restoredCerts.push(rec); break
        case 'batch': this.#storeBatch(rec.txs, 0); break
        case 'rec-frontier': this.#restoredFrontiers.push(rec)
      }
    }
  }

  start (executed: Checkpoint, now: number): Fx {
    this.#o.begin(now)
    this.#lastExecuted = this.#commitSeq = executed.seq
    this.#executedRoot = executed.stateRoot
    let best: Frontier | undefined
    for (const f of this.#restoredFrontiers) {
      if (f.seq <= executed.seq && (best === undefined || f.seq > best.seq || (f.seq === best.seq && f.anchorRound > best.anchorRound))) best = f
    }
    if (best !== undefined) this.#adopt(best, Math.max(0, best.anchorRound - this.params.gcDepth), false)
    else if (executed.seq > 0) this.#lost = true
    const certs = this.#restoredCerts.sort((a, b) => a.header.msg.round - b.header.msg.round)
    this.#restoredCerts = []
    this.#restoredFrontiers = []
    this.#restoring = true
    for (const c of certs) this.#admitCertificate(c, undefined, false)
    this.#restoring = false
    this.#commitAll()
    const mine = this.#headers.get(this.#round)
    if (mine !== undefined && !this.#dag.round(this.#round).has(this.self)) {
      this.#votesForMine = new Map([[this.self, this.#o.sign(this.#voteFor(mine.msg))]])
      this.#o.broadcast(mine)
    }
    this.#broadcastStatus()
    this.#o.arm(BULLSHARK_TIMERS.resend, this.params.resendIntervalMs)
    this.#o.arm(BULLSHARK_TIMERS.header, this.params.maxHeaderDelayMs)
    this.#advance()
    return this.#o.end()
  }

  onMessage (from: ValidatorId, s: Signed<BullsharkMessage>, now: number): Fx {
    this.#o.begin(now)
    if (s.msg.protocol === BULLSHARK && this.validators.has(s.from)) this.#dispatch(from, s)
    return this.#o.end()
  }

  onTimer (timer: TimerId, now: number): Fx {
    this.#o.begin(now)
    this.#o.fired(timer)
    switch (timer) {
      case BULLSHARK_TIMERS.header:
        this.#headerExpired = true
        this.#advance()
        break
      case BULLSHARK_TIMERS.batch: this.#seal(true); break
      case BULLSHARK_TIMERS.resend: this.#resend()
    }
    return this.#o.end()
  }

  onRequest (batch: Batch, now: number): Fx {
    this.#o.begin(now)
    for (const tx of batch.txs) {
      const key = txKey(tx)
      if (!this.#txs.committed.has(key) && !this.#txs.inFlight.has(key)) this.#txs.pending.add(tx)
    }
    this.#seal(false)
    return this.#o.end()
  }

  onExecuted (seq: number, stateRoot: Hash, now: number): Fx {
    this.#o.begin(now)
    if (seq > this.#commitSeq) this.#installed(seq)
    if (seq >= this.#lastExecuted) {
      this.#lastExecuted = seq
      this.#executedRoot = stateRoot
    }
    const f = this.#frontiers.get(seq)
    if (seq % this.params.checkpointInterval === 0 && f !== undefined) this.#checkpoint(f, stateRoot)
    return this.#o.end()
  }

  onStateFetchFailed (checkpoint: Checkpoint, now: number): Fx {
    this.#o.begin(now)
    this.#stateFetch.failed(checkpoint.seq, now)
    if (this.#catchingUp?.seq === checkpoint.seq) this.#catchingUp = undefined
    // The retry waits for its backoff; the resend tick asks again.
    return this.#o.end()
  }

  status (): ProtocolStatus {
    return {
      protocol: BULLSHARK,
      view: this.#round,
      primary: this.#leader(this.#nextAnchorRound()),
      viewChanging: false,
      lastCommitted: this.#commitSeq,
      lastExecuted: this.#lastExecuted,
      stableCheckpoint: this.#stable?.msg.seq ?? 0,
      pending: this.#txs.size,
      round: this.#round,
      dagSize: this.#dag.size,
      lastAnchor: this.#lastAnchor,
      resources: { held: this.#waitingHeaders.size + this.#waitingCerts.size, wastedScans: this.#waitingHeaders.wastedScans + this.#waitingCerts.wastedScans }
    }
  }

  // ---- helpers ----

  /** The deepest round an anchor's ordered history reaches. Half the gc depth, so a node that installs a
   *  snapshot at an anchor needs only certificates its peers have not collected yet. */
  #horizon (anchorRound: number): number { return Math.max(0, anchorRound - Math.floor(this.params.gcDepth / 2)) }

  /** An even number of rounds, a quarter of the gc depth or less, between checkpoints of empty anchors. */
  #idleCheckpointRounds (): number { return Math.max(2, 2 * Math.floor(this.params.gcDepth / 8)) }

  #leader (anchorRound: number): ValidatorId { return this.#leaders.leader(anchorRound / 2) }
  #nextAnchorRound (): number { return this.#lastAnchor + 2 }
  #anchor (round: number): Vertex | undefined { return this.#dag.round(round).get(this.#leader(round)) }

  #votedAt (round: number): Map<ValidatorId, string> {
    let m = this.#voted.get(round)
    if (m === undefined) {
      m = new Map()
      this.#voted.set(round, m)
    }
    return m
  }

  #voteFor (h: Header): Vote { return { protocol: BULLSHARK, type: 'vote', author: h.author, round: h.round, digest: fromHex(headerDigest(h)) } }

  #dispatch (from: ValidatorId, s: Signed<BullsharkMessage>): void {
    switch (s.msg.type) {
      case 'batch': this.#onBatch(from, s.msg); return
      case 'header': this.#onHeader(from, s as Signed<Header>); return
      case 'vote': this.#onVote(s as Signed<Vote>); return
      case 'certificate': this.#onCertificate(from, s.msg); return
      case 'fetch': this.#onFetch(from, s.msg); return
      case 'checkpoint': this.#onCheckpoint(s as Signed<CheckpointMsg>); return
      case 'status': this.#onStatus(from, s.msg); return
      default: this.#o.log({ type: 'invalid-message', from, reason: `unexpected ${s.msg.type}` })
    }
  }

  // ---- batches (the workers, folded into the primary) ----

  #storeBatch (txs: readonly Tx[], round: number): string {
    const d = toHex(makeBatch(txs).id)
    const prior = this.#batches.get(d)
    if (prior === undefined) {
      this.#batches.set(d, { txs, round })
      this.#waitingCerts.arrived(d)
      this.#waitingHeaders.arrived(d)
    } else prior.round = Math.max(prior.round, round)
    return d
  }

  #seal (force: boolean): void {
    while (this.#txs.pending.size > 0) {
      // Bounded by bytes too, so the batch, its message and its WAL record fit their limits.
      const txs = this.#txs.pending.take(this.params.batchSize, undefined, MAX_BATCH_BYTES)
      if (!batchFull(txs, this.params.batchSize) && !force) {
        this.#o.arm(BULLSHARK_TIMERS.batch, this.params.batchDelayMs)
        return
      }
      const keys = txs.map(txKey)
      for (let i = 0; i < txs.length; i++) {
        this.#txs.pending.delete(keys[i])
        this.#txs.inFlight.set(keys[i], { tx: txs[i], round: 0 })
      }
      const msg: BatchMsg = { protocol: BULLSHARK, type: 'batch', txs }
      const d = this.#storeBatch(txs, this.#round)
      this.#ownBatchKeys.set(d, keys)
      this.#ready.push(makeBatch(txs).id)
      this.#o.broadcast(this.#o.sign(msg))
      force = false
    }
    this.#advance()
  }

  #onBatch (from: ValidatorId, m: BatchMsg): void {
    if (m.txs.length === 0) return
    if (overBatchBudget(m.txs)) return this.#o.log({ type: 'invalid-message', from, reason: `batch over ${MAX_BATCH_BYTES} bytes` })
    this.#storeBatch(m.txs, this.#round)
    this.#drainWaiting()
  }

  // ---- headers and votes ----

  /** Proposes the next header once a quorum of the previous round is certified and Bullshark's wait is over. */
  #advance (): void {
    const q = this.quorums.quorum
    let top = this.#dag.highestRound
    while (top > 0 && top >= this.#round && this.#dag.round(top).size < q) top--
    if (top < this.#round || (top === 0 && this.#round > 0)) return
    if (top === this.#round && !this.#headerExpired && !(this.#leaderReady(top) && this.#hasWork())) return
    if (top === this.#round && !this.#leaderReady(top)) this.#o.log({ type: 'leader-timeout', round: top })
    this.#propose(top + 1, [...this.#dag.round(top).values()])
  }

  /** In an anchor round: the anchor is certified; in a voting round: its fate is known (2f+1 for, f+1 against). */
  #leaderReady (round: number): boolean {
    if (round <= 1) return true
    if (round % 2 === 0) return this.#anchor(round) !== undefined
    const anchor = this.#anchor(round - 1)
    let yes = 0
    let no = 0
    for (const v of this.#dag.round(round).values()) {
      if (anchor !== undefined && v.parents.includes(anchor.digest)) yes++
      else no++
    }
    return yes >= this.quorums.quorum || no >= this.quorums.weak
  }

  #hasWork (): boolean { return this.#ready.length > 0 || this.#txs.pending.size > 0 || this.#txs.inFlight.size > 0 || this.#unordered.size > 0 }

  #propose (round: number, parents: Vertex[]): void {
    const batches = this.#ready.splice(0, MAX_DIGESTS)
    const header = this.#o.sign<Header>({
      protocol: BULLSHARK,
      type: 'header',
      author: this.self,
      round,
      parents: parents.sort((a, b) => a.authorIndex - b.authorIndex).map((v) => fromHex(v.digest)),
      batches
    })
    for (const b of batches) {
      const d = toHex(b)
      for (const k of this.#ownBatchKeys.get(d) ?? []) {
        const o = this.#txs.inFlight.get(k)
        if (o !== undefined) o.round = round
      }
      this.#ownBatchKeys.delete(d)
    }
    this.#round = round
    this.#headers.set(round, header)
    this.#o.persist(round, { protocol: BULLSHARK, type: 'rec-header', header })
    const vote = this.#castVote(header.msg, headerDigest(header.msg))
    this.#votesForMine = new Map([[this.self, vote]])
    this.#o.broadcast(header)
    this.#headerExpired = false
    this.#o.rearm(BULLSHARK_TIMERS.header, this.params.maxHeaderDelayMs)
    this.#checkCertified()
  }

  #castVote (h: Header, digest: string): Signed<Vote> {
    this.#votedAt(h.round).set(h.author, digest)
    const vote: Vote = { protocol: BULLSHARK, type: 'vote', author: h.author, round: h.round, digest: fromHex(digest) }
    this.#o.persist(h.round, { protocol: BULLSHARK, type: 'rec-vote', author: h.author, round: h.round, digest: vote.digest })
    return this.#o.sign(vote)
  }

  /** What a header or certificate still needs before this node can vote for or insert it. */
  #missing (h: Header): { certs: Hash[], batches: Hash[] } {
    const certs = h.round - 1 > this.#floor ? h.parents.filter((p) => !this.#dag.has(toHex(p))) : []
    const batches = h.batches.filter((b) => !this.#batches.has(toHex(b)))
    return { certs, batches }
  }

  /** Parents are a quorum of distinct certificates of the previous round (unless behind the floor). */
  #parentsValid (h: Header): boolean {
    if (h.round === 1) return h.parents.length === 0
    if (h.round - 1 <= this.#floor) return true
    const authors = new Set<ValidatorId>()
    for (const p of h.parents) {
      const v = this.#dag.get(toHex(p))
      if (v === undefined || v.round !== h.round - 1 || authors.has(v.author)) return false
      authors.add(v.author)
    }
    return authors.size >= this.quorums.quorum
  }

  #onHeader (from: ValidatorId, s: Signed<Header>): void {
    const h = s.msg
    if (s.from !== h.author || h.round < 1) return this.#o.log({ type: 'invalid-message', from, reason: 'header not signed by its author' })
    if (h.round <= this.#floor + 1 && h.round > 1) return
    if (this.#tooFarAhead(from, h)) return
    const digest = headerDigest(h)
    const prior = this.#voted.get(h.round)?.get(h.author)
    if (prior !== undefined) {
      if (prior === digest) this.#o.send([h.author], this.#o.sign({ protocol: BULLSHARK, type: 'vote', author: h.author, round: h.round, digest: fromHex(digest) }))
      else this.#o.log({ type: 'equivocation', from: h.author, round: h.round })
      return
    }
    const missing = this.#missing(h)
    if (missing.certs.length > 0 || missing.batches.length > 0) {
      const fresh = this.#waitingHeaders.park(digest, h.author, h.round, s, missing)
      if (fresh !== null) this.#fetch([...new Set([from, h.author])], fresh)
      return
    }
    this.#waitingHeaders.delete(digest)
    if (!this.#parentsValid(h)) return this.#o.log({ type: 'invalid-message', from: h.author, reason: `header of round ${h.round} lacks a quorum of parents` })
    if (h.author === this.self) return
    this.#o.send([h.author], this.#castVote(h, digest))
  }

  #onVote (s: Signed<Vote>): void {
    const m = s.msg
    const mine = this.#headers.get(this.#round)
    if (m.author !== this.self || m.round !== this.#round || mine === undefined || toHex(m.digest) !== headerDigest(mine.msg)) return
    if (this.#votesForMine.has(s.from)) return
    this.#votesForMine.set(s.from, s)
    this.#checkCertified()
  }

  #checkCertified (): void {
    const mine = this.#headers.get(this.#round)
    if (mine === undefined || this.#votesForMine.size < this.quorums.quorum || this.#dag.round(this.#round).has(this.self)) return
    const votes = [...this.#votesForMine.values()].sort((a, b) => this.validators.indexOf(a.from) - this.validators.indexOf(b.from)).slice(0, this.quorums.quorum)
    const cert: Certificate = { protocol: BULLSHARK, type: 'certificate', header: mine, votes }
    this.#o.broadcast(this.#relay(cert))
    this.#admitCertificate(cert, undefined, true)
  }

  #relay (cert: Certificate): Signed<Certificate> {
    let s = this.#relayed.get(cert)
    if (s === undefined) {
      s = this.#o.sign(cert)
      this.#relayed.set(cert, s)
    }
    return s
  }

  // ---- certificates and the DAG ----

  #validCertificate (c: Certificate): boolean {
    const h = c.header
    if (h.from !== h.msg.author || !this.validators.has(h.from) || !this.#verifier.verify(h)) return false
    const digest = headerDigest(h.msg)
    const voters = new Set<ValidatorId>()
    for (const v of c.votes) {
      if (v.msg.author !== h.msg.author || v.msg.round !== h.msg.round || toHex(v.msg.digest) !== digest) return false
      if (voters.has(v.from) || !this.validators.has(v.from) || !this.#verifier.verify(v)) return false
      voters.add(v.from)
    }
    return voters.size >= this.quorums.quorum
  }

  #onCertificate (from: ValidatorId, c: Certificate): void {
    const h = c.header.msg
    const digest = headerDigest(h)
    if (this.#dag.has(digest) || this.#waitingCerts.has(digest) || h.round <= this.#floor) return
    if (this.#tooFarAhead(from, h)) return
    if (!this.#validCertificate(c)) return this.#o.log({ type: 'invalid-message', from, reason: 'invalid certificate' })
    this.#admitCertificate(c, from, true)
  }

  /** Inserts a certificate whose parents and payload are held, or parks it and fetches what is missing. */
  #admitCertificate (c: Certificate, from: ValidatorId | undefined, persist: boolean): void {
    const h = c.header.msg
    const digest = headerDigest(h)
    if (h.round <= this.#floor || this.#dag.has(digest)) return
    const missing = this.#missing(h)
    if (missing.certs.length > 0 || missing.batches.length > 0) {
      const fresh = this.#waitingCerts.park(digest, h.author, h.round, c, missing)
      if (from !== undefined && fresh !== null) this.#fetch([...new Set([from, h.author])].filter((id) => id !== this.self), fresh)
      return
    }
    this.#waitingCerts.delete(digest)
    if (!this.#parentsValid(h)) return this.#o.log({ type: 'invalid-message', from: h.author, reason: 'certificate without a quorum of parents' })
    const v: Vertex = {
      digest,
      round: h.round,
      author: h.author,
      authorIndex: this.validators.indexOf(h.author),
      parents: h.parents.map(toHex),
      batches: h.batches.map(toHex),
      cert: c
    }
    if (!this.#dag.insert(v)) return this.#o.log({ type: 'equivocation', from: h.author, round: h.round })
    this.#waitingCerts.arrived(digest)
    this.#waitingHeaders.arrived(digest)
    if (persist) {
      for (const b of v.batches) this.#o.persist(h.round, { protocol: BULLSHARK, type: 'batch', txs: (this.#batches.get(b) as StoredBatch).txs })
      this.#o.persist(h.round, c)
    }
    for (const b of v.batches) (this.#batches.get(b) as StoredBatch).round = Math.max((this.#batches.get(b) as StoredBatch).round, h.round)
    if (v.batches.length > 0 && this.#lastOrdered[v.authorIndex] < v.round) this.#unordered.add(digest)
    if (this.#restoring) return
    if (h.round % 2 === 1 && h.round >= 3) this.#tryCommit(h.round - 1)
    this.#drainWaiting()
    this.#advance()
  }

  /** Headers and certificates are parked only up to maxRoundsAhead above where this node stands, and only
   *  with at most one parent per validator: what lies beyond is spam or reached by state transfer. */
  #tooFarAhead (from: ValidatorId, h: Header): boolean {
    const here = Math.max(this.#round, this.#dag.highestRound, this.#lastAnchor, this.#floor)
    if (h.round <= here + this.params.maxRoundsAhead && h.parents.length <= this.validators.n) return false
    this.#o.log({ type: 'invalid-message', from, reason: h.parents.length > this.validators.n ? 'more parents than validators' : `round ${h.round} is more than ${this.params.maxRoundsAhead} rounds ahead` })
    return true
  }

  #fetch (to: readonly ValidatorId[], missing: { certs: Hash[], batches: Hash[] }): void {
    const peers = to.filter((id) => id !== this.self)
    if (peers.length === 0 || (missing.certs.length === 0 && missing.batches.length === 0)) return
    this.#o.send(peers, this.#o.sign<Fetch>({ protocol: BULLSHARK, type: 'fetch', certs: missing.certs.slice(0, MAX_DIGESTS), batches: missing.batches.slice(0, MAX_DIGESTS) }))
  }

  /** Retries the parked certificates and headers whose missing digests arrived (the parking's index says
   *  which), until nothing more becomes insertable. Admitting one may make others ready: they join the queue. */
  #drainWaiting (): void {
    if (this.#draining) return
    this.#draining = true
    try {
      for (let c = this.#waitingCerts.takeReady(); c !== undefined; c = this.#waitingCerts.takeReady()) {
        const m = this.#missing(c.header.msg)
        if (m.certs.length > 0 || m.batches.length > 0) this.#waitingCerts.countWasted()
        this.#admitCertificate(c, undefined, true)
      }
      for (let s = this.#waitingHeaders.takeReady(); s !== undefined; s = this.#waitingHeaders.takeReady()) {
        const m = this.#missing(s.msg)
        if (m.certs.length > 0 || m.batches.length > 0) this.#waitingHeaders.countWasted()
        this.#onHeader(s.from, s)
      }
    } finally {
      this.#draining = false
    }
  }

  #onFetch (from: ValidatorId, m: Fetch): void {
    // At most MAX_DIGESTS items per peer per resend interval: an honest fetcher asks that often, and a
    // Byzantine one cannot turn small requests into an unbounded stream of answers.
    let served = this.#fetchServed.get(from)
    if (served === undefined || this.#o.now - served.since >= this.params.resendIntervalMs) {
      served = { since: this.#o.now, items: 0 }
      this.#fetchServed.set(from, served)
    }
    for (const d of m.certs) {
      if (served.items >= MAX_DIGESTS) return
      const v = this.#dag.get(toHex(d))
      if (v === undefined) continue
      served.items++
      this.#o.send([from], this.#relay(v.cert))
    }
    // At most a message's worth of payload per request, so asking costs a peer little more than answering.
    let budget = MAX_MESSAGE_BYTES
    for (const d of m.batches) {
      const b = this.#batches.get(toHex(d))
      if (b === undefined) continue
      budget -= batchBytes(b.txs)
      if (budget < 0 || served.items >= MAX_DIGESTS) break
      served.items++
      this.#o.send([from], this.#o.sign<BatchMsg>({ protocol: BULLSHARK, type: 'batch', txs: b.txs }))
    }
  }

  // ---- Bullshark ordering ----

  #tryCommit (anchorRound: number): void {
    if (this.#lost || anchorRound <= this.#lastAnchor) return
    const anchor = this.#anchor(anchorRound)
    if (anchor === undefined) return
    let support = 0
    for (const v of this.#dag.round(anchorRound + 1).values()) if (v.parents.includes(anchor.digest)) support++
    if (support < this.commitStake()) return
    // Earlier anchors this one reaches commit first, oldest first: every honest node that committed one of
    // them directly did so with n - quorum + 1 supporters in the round above it, and any later vertex's
    // quorum of parents in that round holds one of them (n - quorum + 1 + quorum > n), so a path exists.
    const chain = [anchor]
    let cur = anchor
    for (let r = anchorRound - 2; r > this.#lastAnchor; r -= 2) {
      const earlier = this.#anchor(r)
      if (earlier !== undefined && this.earlierAnchorLinked(this.#dag, cur, earlier)) {
        chain.push(earlier)
        cur = earlier
      }
    }
    for (let i = chain.length - 1; i >= 0; i--) this.#order(chain[i])
    this.#collectGarbage()
  }

  /** Anchors restored from the WAL or made committable by a snapshot, in round order. */
  #commitAll (): void {
    for (let r = this.#dag.highestRound - 1; r > this.#lastAnchor; r--) {
      if (r % 2 === 0) {
        const before = this.#lastAnchor
        this.#tryCommit(r)
        if (this.#lastAnchor !== before) return this.#commitAll()
      }
    }
  }

  #order (anchor: Vertex): void {
    const history = this.#dag.history(anchor, this.#lastOrdered, this.#horizon(anchor.round))
    const txs: Tx[] = []
    const seen = new Set<string>()
    for (const v of history) {
      this.#lastOrdered[v.authorIndex] = Math.max(this.#lastOrdered[v.authorIndex], v.round)
      this.#unordered.delete(v.digest)
      for (const b of v.batches) {
        for (const tx of (this.#batches.get(b) as StoredBatch).txs) {
          const key = txKey(tx)
          // Only duplicates within this history are dropped: what earlier commits held is local knowledge
          // (lost on restart, absent after a snapshot), and the state machine skips what it applied.
          if (seen.has(key)) continue
          seen.add(key)
          txs.push(tx)
        }
      }
    }
    this.#lastAnchor = anchor.round
    this.#gcRound = Math.max(this.#gcRound, anchor.round - this.params.gcDepth)
    this.#o.log({ type: 'anchor-commit', round: anchor.round, leader: anchor.author, vertices: history.length, txs: txs.length })
    if (txs.length > 0) this.#commitSeq++
    const frontier: Frontier = { seq: this.#commitSeq, anchorRound: anchor.round, lastOrdered: [...this.#lastOrdered] }
    this.#o.persist(anchor.round, { protocol: BULLSHARK, type: 'rec-frontier', ...frontier }, this.#gcRound)
    if (txs.length === 0) {
      // An idle cluster keeps ordering empty anchors; checkpoint them now and then so a node that was away
      // can jump to a recent frontier instead of one its peers have long collected.
      if (anchor.round % this.#idleCheckpointRounds() === 0 && this.#lastExecuted === this.#commitSeq) this.#checkpoint(frontier, this.#executedRoot)
      return
    }
    this.#frontiers.set(this.#commitSeq, frontier)
    this.#frontiers.delete(this.#commitSeq - 2 * this.params.checkpointInterval)
    for (const key of seen) this.#txs.markCommitted(key)
    this.#o.commit(this.#commitSeq, makeBatch(txs), [anchor.cert.header])
  }

  #collectGarbage (): void {
    this.#floor = Math.max(this.#floor, this.#gcRound)
    const gc = this.#floor
    this.#dag.prune(gc)
    for (const d of this.#unordered) if (this.#dag.get(d) === undefined) this.#unordered.delete(d)
    for (const [d, b] of this.#batches) if (b.round <= gc && !this.#ownBatchKeys.has(d)) this.#batches.delete(d)
    for (const r of this.#voted.keys()) if (r <= gc) this.#voted.delete(r)
    for (const r of this.#headers.keys()) if (r <= gc) this.#headers.delete(r)
    this.#waitingCerts.dropAtOrBelow(gc)
    this.#waitingHeaders.dropAtOrBelow(gc)
    // Parents at or below the floor count as held: what waited only for them is ready now.
    this.#waitingCerts.readyAt(gc + 1)
    this.#waitingHeaders.readyAt(gc + 1)
    // Own transactions whose header the ordering skipped or left below its horizon go out again.
    const skippedUpTo = Math.max(this.#lastOrdered[this.#selfIndex], this.#horizon(this.#lastAnchor))
    for (const [key, o] of this.#txs.inFlight) {
      if (o.round === 0 || o.round > skippedUpTo) continue
      this.#txs.inFlight.delete(key)
      this.#txs.pending.add(o.tx)
    }
    if (this.#txs.pending.size > 0) this.#seal(false)
  }

  // ---- checkpoints and state transfer ----

  #adopt (f: Frontier, floor: number, persist: boolean): void {
    this.#lastOrdered = [...f.lastOrdered]
    this.#lastAnchor = f.anchorRound
    this.#commitSeq = f.seq
    this.#gcRound = Math.max(0, f.anchorRound - this.params.gcDepth)
    this.#floor = Math.max(this.#gcRound, floor)
    this.#frontiers.set(f.seq, f)
    this.#lost = false
    if (persist) this.#o.persist(f.anchorRound, { protocol: BULLSHARK, type: 'rec-frontier', ...f }, this.#gcRound)
  }

  #checkpoint (f: Frontier, stateRoot: Hash): void {
    const cp = this.#o.sign<CheckpointMsg>({ protocol: BULLSHARK, type: 'checkpoint', ...f, stateRoot })
    this.#o.broadcast(cp)
    this.#onCheckpoint(cp)
  }

  #onCheckpoint (s: Signed<CheckpointMsg>): void {
    const m = s.msg
    if (m.lastOrdered.length !== this.validators.n || (this.#stable !== undefined && !newer(m, this.#stable.msg))) return
    const matching = this.#checkpointVotes.add(s)
    // f + 1 matching checkpoints include an honest one, which is all a snapshot needs to be trusted.
    if (matching.length < this.quorums.weak) return
    this.#stable = { msg: m, proof: matching }
    this.#checkpointVotes.retain((v) => newer(v, m))
    this.#maybeCatchUp()
  }

  /** Far behind a certified checkpoint (peers will soon have collected what this node needs): fetch it. */
  #maybeCatchUp (): void {
    const st = this.#stable
    if (st === undefined || st.msg.seq < this.#commitSeq) return
    if (!this.#lost && st.msg.anchorRound <= this.#lastAnchor + this.params.gcDepth / 4) return
    if (st.msg.seq === this.#lastExecuted && st.msg.seq === this.#commitSeq) {
      // Only empty anchors passed while this node was away: its state is the checkpoint's, so it only moves
      // its frontier up, without a snapshot.
      if (toHex(st.msg.stateRoot) === toHex(this.#executedRoot)) this.#rejoin(st.msg)
      return
    }
    if (st.msg.seq <= this.#commitSeq) return
    const from = this.#stateFetch.start(st.msg.seq, st.proof.map((s) => s.from).filter((id) => id !== this.self), this.#o.now)
    if (from === undefined) return
    this.#catchingUp = st.msg
    this.#o.fetchState(from, { seq: st.msg.seq, stateRoot: st.msg.stateRoot })
    this.#o.log({ type: 'state-transfer', seq: st.msg.seq, anchorRound: st.msg.anchorRound })
  }

  #installed (seq: number): void {
    const f = this.#catchingUp
    this.#catchingUp = undefined
    this.#stateFetch.done(f?.seq ?? seq)
    if (f === undefined || f.seq !== seq) {
      this.#commitSeq = seq
      this.#lost = true
      return
    }
    this.#o.log({ type: 'snapshot-installed', seq, anchorRound: f.anchorRound })
    this.#rejoin(f)
  }

  /** Resumes ordering at a certified frontier. Later anchors order nothing below its anchor's horizon, and
   *  peers still hold what is above it, so the DAG from there on is fetchable. */
  #rejoin (f: Frontier): void {
    this.#adopt(f, this.#horizon(f.anchorRound), true)
    this.#collectGarbage()
    this.#drainWaiting()
    this.#commitAll()
    this.#advance()
  }

  // ---- retransmission ----

  #broadcastStatus (): void {
    this.#o.broadcast(this.#o.sign<Status>({ protocol: BULLSHARK, type: 'status', round: this.#round, anchorRound: this.#lastAnchor }))
  }

  #onStatus (from: ValidatorId, st: Status): void {
    if (from === this.self) return
    if (!this.#help.may(from, this.#o.now)) return
    if (this.#stable !== undefined && st.anchorRound + this.params.gcDepth / 4 < this.#stable.msg.anchorRound) {
      for (const cp of this.#stable.proof) this.#o.send([from], cp)
    }
    // Our latest certificate lets it fetch its way up the DAG.
    const top = this.#dag.highestRound
    for (let r = top; r > top - 2 && r > 0; r--) {
      const v = this.#dag.round(r).get(this.self)
      if (v !== undefined && r > st.round - 2) this.#o.send([from], this.#relay(v.cert))
    }
  }

  #resend (): void {
    const mine = this.#headers.get(this.#round)
    if (mine !== undefined && !this.#dag.round(this.#round).has(this.self)) this.#o.broadcast(mine)
    const others = this.validators.others(this.self)
    const waitCerts = this.#waitingCerts.wanted()
    const waitHeaders = this.#waitingHeaders.wanted()
    const certs = [...waitCerts.certs, ...waitHeaders.certs]
    const batches = [...waitCerts.batches, ...waitHeaders.batches]
    if (certs.length > 0 || batches.length > 0) this.#fetch(others, { certs: dedup(certs), batches: dedup(batches) })
    const progress = `${this.#round}/${this.#lastAnchor}/${this.#dag.size}`
    if (progress === this.#progressAtResend) this.#broadcastStatus()
    this.#progressAtResend = progress
    this.#maybeCatchUp()
    this.#o.arm(BULLSHARK_TIMERS.resend, this.params.resendIntervalMs)
  }
}


function dedup (hs: Hash[]): Hash[] {
  const seen = new Map<string, Hash>()
  for (const h of hs) seen.set(toHex(h), h)
  return [...seen.values()]
}

const newer = (a: Frontier, b: Frontier): boolean => a.seq > b.seq || (a.seq === b.seq && a.anchorRound > b.anchorRound)

const checkpointKey = (m: CheckpointMsg): string => `${m.seq}/${m.anchorRound}/${toHex(m.stateRoot)}/${m.lastOrdered.join(',')}`
