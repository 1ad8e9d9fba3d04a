// T-PBFT as a variant of the three-phase engine (design: shared/design/notes/TPBFT.md §4). Commit quorums
// stay PBFT's 2f+1 of all n: the trust ranking only decides who may propose. A view's proposer is a
// primary group of m members: its acting member sends each new pre-prepare to the group, members co-sign
// (at most one digest per slot, persisted before the share leaves), and only a pre-prepare carrying t
// shares from the view's group is accepted. When the acting member stops producing certified pre-prepares,
// the members move to the next one inside the view (inner failover: t signed votes, no log transfer); the
// new acting member re-certifies what the group already co-signed. An outer view change (PBFT's) happens
// only when the group cannot certify; the next view's group is the next window of the ranking.
import { bytesEqual, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import type { LeaderSchedule } from '../core/leaders.ts'
import type { MessageVerifier, Signed } from '../core/message.ts'
import type { PersistedRecord, ProtocolExtra, TimerId } from '../core/protocol.ts'
import type { Quorums } from '../core/quorum.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { FullPrePrepare, ThreePhaseMessage } from '../three-phase/messages.ts'
import type { ReplicaObservation, ThreePhaseVariant, VariantHost, VotePolicy } from '../three-phase/variant.ts'
import { decodeCert, encodeCert, tpbftCodec } from './codec.ts'
import { TPBFT } from './messages.ts'
import type { GroupShare, InnerChange, TpbftMessage } from './messages.ts'
import { groupThreshold } from './params.ts'
import type { TpbftParams } from './params.ts'
import { groupOf, thresholdOf } from './schedule.ts'
import type { EpochConfig } from './schedule.ts'
import { TRUST_PARAM_DEFAULTS, epochConfig } from './epoch.ts'
import { EvidenceCarrier } from './carry.ts'
import { LedgerSync, NO_SEED, TPBFT_LEDGER_TIMER } from './ledger-sync.ts'
import { TrustHistory } from './trust-history.ts'
import type { Tx } from '../core/batch.ts'

export const TPBFT_INNER_TIMER = `${TPBFT}/inner`

/** Doubling of the inner timeout stops here (it is capped at half the view-change timeout anyway). */
const MAX_INNER_DOUBLINGS = 8

interface Collecting { readonly pp: Signed<FullPrePrepare>, readonly shares: Map<ValidatorId, Signed<GroupShare>> }

/** Deliberate bugs a planted build carries (the checker tests): a commit quorum, a co-signature threshold. */
export interface TpbftPlantedChanges { readonly quorum?: (q: Quorums) => number, readonly coSignThreshold?: number }

/** Counters for status and metrics: what this replica saw happen. */
export interface TpbftCounters { innerFailovers: number, outerViewChanges: number, certified: number, refusedShares: number }

export class TpbftVariant implements ThreePhaseVariant {
  readonly protocol = TPBFT
  /** A member back from a crash, or one that installed a snapshot, lacks the pre-prepares it dropped
   *  meanwhile (those of an epoch it had not entered yet, those sent while it was down); nobody resends
   *  a committed one, so without the peers' decided batches it could not commit until the next stable
   *  checkpoint, and its view timer would run out alone (it then sits in the next view, which nobody
   *  joins). With catch-up it follows its peers' commit certificates. */
  readonly catchUp = true
  readonly votes: VotePolicy
  readonly leaders: LeaderSchedule
  readonly counters: TpbftCounters = { innerFailovers: 0, outerViewChanges: 0, certified: 0, refusedShares: 0 }
  readonly #validators: ValidatorSet
  readonly #params: TpbftParams
  readonly #verifier: MessageVerifier<TpbftMessage>
  #host: VariantHost | undefined
  #config: EpochConfig
  /** Another epoch's configuration, computed once to verify evidence carried in it (#configOfEpoch). */
  #otherConfig: EpochConfig | undefined
  /** The committed trust evidence the configurations are computed from, and what this replica carries
   *  as proposer (carry.ts). */
  readonly evidence: EvidenceCarrier
  /** The ledger as each stable checkpoint certifies it, and its transfer to replicas that lack it. */
  readonly ledger: LedgerSync
  /** The configurations it entered, with their evidence counts (the admin API's TrustSource). */
  readonly trust = new TrustHistory()
  /** Acting member index per view (only the current view's matters; 0 when never moved). */
  readonly #acting = new Map<number, number>()
  /** What this replica co-signed: `${view}/${seq}` -> digest and the acting index it signed under (rebuilt
   *  from rec-share on restart, so a share signed again is the same message). */
  readonly #shared = new Map<string, { readonly digest: Uint8Array, readonly acting: number }>()
  /** Its own signed shares of the current view, by seq (a new acting member re-uses them). */
  readonly #myShares = new Map<number, Signed<GroupShare>>()
  /** Proposals of the current view it co-signed, by seq: what it re-certifies if it becomes the acting member. */
  readonly #proposals = new Map<number, Signed<FullPrePrepare>>()
  /** As the acting member: proposals waiting for t shares, by seq. */
  readonly #collecting = new Map<number, Collecting>()
  /** Latest inner-change vote of each group member, for the current view. */
  readonly #innerVotes = new Map<ValidatorId, Signed<InnerChange>>()
  #innerVotesView = -1
  /** Certified pre-prepares accepted and batches committed: the inner timer's notion of progress. */
  #progress = 0
  #progressMark = -1
  #consecutiveFailovers = 0
  #restarted = false
  /** Pre-prepares of the next epoch that arrived before its configuration, by seq. */
  readonly #early = new Map<number, { readonly peer: ValidatorId, readonly pp: Signed<FullPrePrepare> }>()
  /** An 'epoch-config' event is due: at the first input, after a restart, on entering an epoch. */
  #logEpoch = true
  /** Shares seen this view, by `${signer}/${seq}`: a second one for another digest is an equivocation proof. */
  readonly #sharesSeen = new Map<string, Signed<GroupShare>>()
  /** Members caught co-signing two digests for one slot (both signatures checked): never counted again. */
  readonly #convicted = new Map<ValidatorId, readonly [Signed<GroupShare>, Signed<GroupShare>]>()

  readonly #planted: TpbftPlantedChanges

  /** `planted`: deliberate bugs for the simulator's checker tests only (TPBFT_PLANTED_BUGS), never a node's. */
  constructor (validators: ValidatorSet, params: TpbftParams, verifier: MessageVerifier<TpbftMessage>, planted: TpbftPlantedChanges = {}) {
    this.#validators = validators
    this.#params = params
    this.#verifier = verifier
    this.#planted = planted
    const carrierOptions = {
      validators,
      epochLength: params.epochLength,
      verifier,
      codec: tpbftCodec,
      ranks: params.rankByEvidence === 1,
      schedule: { group: (epoch: number, view: number) => groupOf(this.#configOfEpoch(epoch), view), threshold: (size: number) => this.#thresholdOf(size) }
    }
    this.evidence = new EvidenceCarrier(carrierOptions)
    this.ledger = new LedgerSync({
      validators,
      checkpointInterval: params.checkpointInterval,
      epochLength: params.epochLength,
      windowEpochs: TRUST_PARAM_DEFAULTS.windowEpochs,
      resendIntervalMs: params.resendIntervalMs,
      carrier: this.evidence,
      freshCarrier: () => new EvidenceCarrier(carrierOptions)
    })
    this.#config = this.#configFor(0)
    this.trust.record(this.#config, this.evidence.ledgerFor(0))
    // PBFT's votes: broadcast to all, prepared at quorum - 1 backups, committed at quorum of all n.
    const q = planted.quorum?.(validators.quorums) ?? validators.quorums.quorum
    this.votes = {
      recipients: () => 'all' as const,
      decides: (phase: 'prepare' | 'commit', _view: number, _seq: number, votes: readonly unknown[]) => votes.length >= (phase === 'prepare' ? q - 1 : q),
      certificateSize: (phase: 'prepare' | 'commit') => phase === 'prepare' ? q - 1 : q,
      quorum: q
    }
    this.leaders = { leader: (view: number): ValidatorId => this.#actingMember(view) }
  }

  // ---- the schedule ----

  group (view: number): readonly ValidatorId[] { return groupOf(this.#config, view) }
  get config (): EpochConfig { return this.#config }
  threshold (view: number): number { return this.#thresholdOf(this.group(view).length) }

  #thresholdOf (size: number): number {
    if (this.#planted.coSignThreshold !== undefined) return this.#planted.coSignThreshold
    return thresholdOf(size, this.#params.coSignThreshold === 0 ? groupThreshold(size) : this.#params.coSignThreshold)
  }

  /** The configuration of `epoch` for verifying evidence carried in it: the one in force, or (replaying the
   *  WAL, catching up) the one its ledger gives, every epoch before it being complete by then. */
  #configOfEpoch (epoch: number): EpochConfig {
    if (epoch === this.#config.epoch) return this.#config
    const cached = this.#otherConfig
    if (cached !== undefined && cached.epoch === epoch) return cached
    this.#otherConfig = this.#configFor(epoch)
    return this.#otherConfig
  }

  #actingIndex (view: number): number { return Math.min(this.#acting.get(view) ?? 0, this.group(view).length - 1) }
  #actingMember (view: number): ValidatorId { return this.group(view)[this.#actingIndex(view)] }
  #inGroup (view: number, id: ValidatorId): boolean { return this.group(view).includes(id) }
  #key (view: number, seq: number): string { return `${view}/${seq}` }
  #h (): VariantHost {
    if (this.#host === undefined) throw new Error('tpbft variant used before the engine attached it')
    return this.#host
  }

  // ---- engine hooks ----

  attach (host: VariantHost): void { this.#host = host }

  /** In the current (or a later) view: a member of its group. The pre-prepares of earlier views inside
   *  prepared certificates are judged by their prepares (2f of them, so honest backups accepted them), not
   *  by a group that a replica in another epoch would compute differently. */
  mayPropose (view: number, from: ValidatorId): boolean {
    const current = this.#host?.view() ?? 0
    return view < current ? this.#validators.has(from) : this.#inGroup(view, from)
  }

  /** The epoch barrier: seq e*E+1 waits until the checkpoint at e*E is stable (and so the configuration
   *  of epoch e is known). */
  mayProposeSeq (seq: number): boolean { return this.#epochOfSeq(seq) <= this.#config.epoch }

  #epochOfSeq (seq: number): number { return Math.floor((seq - 1) / this.#params.epochLength) }

  admitPrePrepare (peer: ValidatorId, s: Signed<FullPrePrepare>): boolean {
    const h = this.#h()
    const m = s.msg
    // A proposal of another epoch is judged by that epoch's groups: one of the next epoch waits here (one
    // per seq, all within the engine's window) until this replica's checkpoint closes the current epoch.
    const epoch = this.#epochOfSeq(m.seq)
    if (epoch === this.#config.epoch + 1) this.#early.set(m.seq, { peer, pp: s })
    if (epoch !== this.#config.epoch) return false
    if (m.cert !== undefined) {
      const acting = this.#checkCert(s)
      if (acting === undefined) {
        h.log({ type: 'invalid-message', from: s.from, reason: 'pre-prepare without a valid group certificate' })
        return false
      }
      this.#progress++
      // t members co-signed under acting index >= k: the group moved to k while this replica was away.
      if (acting > this.#actingIndex(m.view)) this.#adoptActing(m.view, acting, false)
      return true
    }
    // An uncertified pre-prepare is a request for this member's co-signature.
    if (h.viewChanging() || !this.#inGroup(m.view, h.self) || peer === h.self) return false
    if (peer !== this.#actingMember(m.view)) {
      if (!this.#handedOver(s)) h.log({ type: 'share-refused', from: peer, view: m.view, seq: m.seq, reason: 'not the acting member' })
      return false
    }
    this.#share(peer, s)
    return false
  }

  /** The proposer's batch: its evidence transaction first, when it holds evidence not yet committed. */
  propose (txs: Tx[], seq: number): Tx[] { return this.evidence.carry(txs, seq) }

  sendProposal (s: Signed<FullPrePrepare>): void {
    const h = this.#h()
    const share = this.#coSign(s)
    if (share === undefined) return
    this.#proposals.set(s.msg.seq, s)
    this.#collecting.set(s.msg.seq, { pp: s, shares: new Map([[h.self, share]]) })
    h.send(this.group(s.msg.view), s)
    this.#maybeCertify(s.msg.seq)
  }

  onMessage (peer: ValidatorId, s: Signed<ThreePhaseMessage>): void {
    const m = s.msg as unknown as TpbftMessage
    if (m.type === 'group-share') this.#onShare(s as unknown as Signed<GroupShare>)
    else if (m.type === 'inner-change') this.#onInnerChange(s as unknown as Signed<InnerChange>)
    else if (m.type === 'ledger-request') this.ledger.onRequest(this.#h(), peer, m.seq)
    else if (m.type === 'ledger') {
      // The certified ledger of the checkpoint this replica waits on: now the epoch it closed can start.
      if (this.ledger.onLedger(this.#h(), peer, m.seq, m.ledger)) this.#enterEpoch(Math.floor(m.seq / this.#params.epochLength))
    }
    else this.#h().log({ type: 'invalid-message', from: peer, reason: `unexpected ${m.type}` })
  }

  onTimer (timer: TimerId): boolean {
    if (timer === TPBFT_LEDGER_TIMER) return true // afterInput retries the ledger fetch
    if (timer !== TPBFT_INNER_TIMER) return false
    const h = this.#h()
    const view = h.view()
    if (h.viewChanging() || !this.#inGroup(view, h.self)) return true
    if (this.#progress !== this.#progressMark) {
      // Progress since the timer was armed: the acting member is doing its job.
      this.#progressMark = this.#progress
      this.#consecutiveFailovers = 0
      return true
    }
    const next = this.#actingIndex(view) + 1
    if (next < this.group(view).length && this.#actingMember(view) !== h.self) this.#voteInner(view, next)
    return true
  }

  restore (records: readonly PersistedRecord<ThreePhaseMessage>[]): void {
    let stable = 0
    for (const { msg } of records) {
      const m = msg as unknown as TpbftMessage
      if (m.type === 'rec-share') this.#shared.set(this.#key(m.view, m.seq), { digest: m.digest, acting: m.acting })
      else if (m.type === 'rec-inner' && m.acting > (this.#acting.get(m.view) ?? 0)) this.#acting.set(m.view, m.acting)
      else if (m.type === 'rec-stable') stable = Math.max(stable, m.seq)
    }
    this.ledger.restore(records)
    // A fresh node (no records) starts as the schedule says; only one back from a crash steps aside.
    this.#restarted = records.length > 0
    // Back in the epoch of its last stable checkpoint, with that epoch's configuration (once it holds the
    // certified ledger of that checkpoint, when the ranking reads it).
    const epoch = Math.floor(stable / this.#params.epochLength)
    if (!this.#waitsForLedger(epoch)) this.#enterEpoch(epoch)
  }

  afterInput (): void {
    const h = this.#h()
    this.ledger.tick(h)
    this.#flushEpochLog()
    const view = h.view()
    if (this.#restarted) {
      // A member back from a crash does not know whether the group moved on without it; if it was the
      // acting member it steps aside (its peers' votes will agree), so it never proposes against its group.
      this.#restarted = false
      if (!h.viewChanging() && this.#actingMember(view) === h.self && this.#actingIndex(view) + 1 < this.group(view).length) {
        this.#acting.set(view, this.#actingIndex(view) + 1)
      }
    }
    if (h.viewChanging() || !this.#inGroup(view, h.self) || !h.hasWork()) {
      h.disarm(TPBFT_INNER_TIMER)
      return
    }
    if (this.#progressMark < 0) this.#progressMark = this.#progress
    h.arm(TPBFT_INNER_TIMER, this.#innerTimeout())
  }

  observe (e: ReplicaObservation): void {
    if (e.kind === 'committed') {
      const applied = this.evidence.committed(e.seq, e.batch, e.cert)
      if (applied !== undefined) this.#h().persist(e.seq, { protocol: TPBFT, type: 'rec-evidence', seq: e.seq, evidence: applied } as unknown as ThreePhaseMessage)
      this.ledger.committed(e.seq, applied)
      this.#progress++
      this.#consecutiveFailovers = 0
    } else if (e.kind === 'new-view') {
      this.counters.outerViewChanges++
      if (e.viewChanges !== undefined) this.evidence.noteViewChanges(e.view, e.viewChanges as unknown as readonly Signed<TpbftMessage>[])
      this.#collecting.clear()
      this.#proposals.clear()
      this.#myShares.clear()
      this.#innerVotes.clear()
      this.#sharesSeen.clear()
      this.#early.clear()
      this.#consecutiveFailovers = 0
      for (const v of this.#acting.keys()) if (v < e.view) this.#acting.delete(v)
    } else if (e.kind === 'stable') {
      for (const [key] of this.#shared) if (Number(key.split('/')[1]) <= e.seq) this.#shared.delete(key)
      for (const m of [this.#proposals, this.#collecting, this.#myShares] as Map<number, unknown>[]) for (const seq of m.keys()) if (seq <= e.seq) m.delete(seq)
      for (const [key, sh] of this.#sharesSeen) if (sh.msg.seq <= e.seq) this.#sharesSeen.delete(key)
      // The epoch the stable checkpoint is in (a replica that skipped a boundary by state transfer too),
      // once its ledger is the certified one where the ranking reads it.
      this.ledger.noteRoot(this.#h(), e.seq, e.stateRoot, true)
      this.ledger.stable(this.#h(), e.seq, e.extra, e.signers)
      const epoch = Math.floor(e.seq / this.#params.epochLength)
      if (!this.#waitsForLedger(epoch)) this.#enterEpoch(epoch)
    }
  }

  /** Epoch e's configuration: EigenTrust over the evidence committed in earlier epochs when rankByEvidence
   *  is 1 (the default; the ledger is the one the closing checkpoint certified, ledger-sync.ts); with 0 none,
   *  so trust is the uniform pre-trust and the ranking is the tie-break, which rotates the groups every epoch.
   *  Ties break by a hash of the state root of checkpoint e*E (the seed, certified with the ledger, so a
   *  replica that skipped that checkpoint by state transfer has it too). The previous-configuration hash is
   *  fixed (zeros) rather than chained: a transferred replica never computed the configuration before. */
  #configFor (epoch: number): EpochConfig {
    const seed = this.ledger.seed(epoch)
    // Not reached where the seed matters: entering an epoch waits for the certified ledger that brings it.
    if (seed === undefined) this.#host?.log({ type: 'tie-break-seed-unknown', epoch })
    return epochConfig({
      epoch,
      validators: this.#validators,
      evidence: this.evidence.rankingInput(epoch),
      checkpointRoot: seed ?? NO_SEED,
      groupSize: this.#params.groupSize,
      ...(epoch > 0 ? { previous: { epoch: epoch - 1, hash: new Uint8Array(32) } } : {}),
      params: { epochLength: this.#params.epochLength, groupSize: this.#params.groupSize }
    })
  }

  /** Recomputes the configuration once the stable checkpoint closing epoch - 1 is reached; the acting
   *  index and inner votes start over with the new groups. */
  #enterEpoch (epoch: number): void {
    if (epoch <= this.#config.epoch) return
    this.#config = this.#configFor(epoch)
    this.trust.record(this.#config, this.evidence.ledgerFor(epoch))
    this.evidence.prune(epoch, TRUST_PARAM_DEFAULTS.windowEpochs)
    this.#acting.clear()
    this.#innerVotes.clear()
    this.#collecting.clear()
    const early = [...this.#early.entries()].sort(([a], [b]) => a - b)
    this.#early.clear()
    for (const [seq, { peer, pp }] of early) if (this.#epochOfSeq(seq) === epoch && this.#host !== undefined && !this.#host.viewChanging()) this.#host.deliver(peer, pp)
    this.#logEpoch = true
    this.#flushEpochLog()
  }

  /** Whether epoch configurations must wait: they rank by the evidence and the ledger of the newest stable
   *  checkpoint is still being fetched (with the nodes' uniform ranking the ledger decides nothing). */
  #waitsForLedger (epoch: number): boolean {
    return this.ledger.pending !== undefined && (this.#params.rankByEvidence === 1 || this.ledger.seed(epoch) === undefined)
  }

  /** The hash of the certified ledger (trust ledger and tie-break seed) as of the commit of checkpoint `seq`,
   *  signed into this replica's checkpoint; `stateRoot` is its own root there (an epoch's first: the seed). */
  checkpointExtra (seq: number, stateRoot: Hash): Uint8Array | undefined {
    this.ledger.noteRoot(this.#h(), seq, stateRoot, false)
    return this.ledger.extra(seq)
  }

  /** Reports the configuration in force (the simulator's checker compares it across honest nodes). */
  #flushEpochLog (): void {
    if (!this.#logEpoch || this.#host === undefined) return
    this.#logEpoch = false
    this.#host.log({ type: 'epoch-config', epoch: this.#config.epoch, config: toHex(this.#config.hash) })
  }

  extraStatus (): ProtocolExtra {
    const h = this.#host
    const view = h?.view() ?? 0
    const r = this.#config.ranking
    return {
      epoch: this.#config.epoch,
      epochConfig: toHex(this.#config.hash),
      group: [...this.group(view)],
      acting: this.#actingMember(view),
      threshold: this.threshold(view),
      rankingTop: r.slice(0, Math.min(3, r.length)),
      rankingBottom: r.slice(Math.max(0, r.length - 3)),
      convicted: [...this.#convicted.keys()],
      innerFailovers: this.counters.innerFailovers,
      outerViewChanges: this.counters.outerViewChanges,
      evidenceApplied: this.evidence.counters.applied,
      evidenceRefused: this.evidence.counters.refused,
      // The stable checkpoint whose certified trust ledger this replica still fetches (0: none).
      ledgerPending: this.ledger.pending ?? 0,
      ledgersFetched: this.ledger.counters.fetched,
      ledgersRefused: this.ledger.counters.refused,
      // 1 while it votes for a view it has not installed (alone, after a restart, the others never join).
      viewChanging: h?.viewChanging() === true ? 1 : 0
    }
  }

  // ---- co-signing ----

  /** Signs (after persisting) this member's share for s's slot, or undefined if it signed another digest. */
  #coSign (s: Signed<FullPrePrepare>): Signed<GroupShare> | undefined {
    const h = this.#h()
    const { view, seq, digest } = s.msg
    const key = this.#key(view, seq)
    const prior = this.#shared.get(key)
    // Nor for a slot where it already accepted another (certified) pre-prepare: a new acting member that
    // missed it cannot certify a rival, and the one the others hold can still commit.
    const accepted = h.accepted(seq)
    if ((prior !== undefined && !bytesEqual(prior.digest, digest)) || (accepted !== undefined && !bytesEqual(accepted.msg.digest, digest))) {
      this.counters.refusedShares++
      h.log({ type: 'share-refused', from: s.from, view, seq, reason: 'co-signed another digest' })
      return undefined
    }
    const mine = this.#myShares.get(seq)
    if (mine !== undefined && mine.msg.view === view && bytesEqual(mine.msg.digest, digest)) return mine
    const acting = prior?.acting ?? this.#actingIndex(view)
    if (prior === undefined) {
      this.#shared.set(key, { digest, acting })
      h.persist(seq, { protocol: TPBFT, type: 'rec-share', view, seq, digest, acting } as unknown as ThreePhaseMessage)
    }
    const share = h.sign({ protocol: TPBFT, type: 'group-share', view, seq, digest, acting } as unknown as ThreePhaseMessage) as unknown as Signed<GroupShare>
    this.#myShares.set(seq, share)
    return share
  }

  #share (peer: ValidatorId, s: Signed<FullPrePrepare>): void {
    const share = this.#coSign(s)
    if (share === undefined) return
    this.#proposals.set(s.msg.seq, s)
    this.#h().send([peer], share as unknown as Signed<ThreePhaseMessage>)
  }

  #onShare (s: Signed<GroupShare>): void {
    const h = this.#h()
    const m = s.msg
    if (h.viewChanging() || m.view !== h.view() || !this.#inGroup(m.view, s.from) || this.#convicted.has(s.from)) return
    const seenKey = `${s.from}/${m.seq}`
    const prior = this.#sharesSeen.get(seenKey)
    if (prior !== undefined && !bytesEqual(prior.msg.digest, m.digest)) {
      // Two signed shares for one slot: the proof convicts the signer, whose shares no longer count.
      this.#convicted.set(s.from, [prior, s])
      this.evidence.noteEquivocation(prior as unknown as Signed<TpbftMessage>, s as unknown as Signed<TpbftMessage>)
      h.log({ type: 'conviction', who: s.from, view: m.view, seq: m.seq, reason: 'co-signed two digests' })
      for (const c of this.#collecting.values()) c.shares.delete(s.from)
      return
    }
    if (prior === undefined) this.#sharesSeen.set(seenKey, s)
    const c = this.#collecting.get(m.seq)
    if (c === undefined || c.pp.msg.view !== m.view || !bytesEqual(c.pp.msg.digest, m.digest)) return
    if (!c.shares.has(s.from)) c.shares.set(s.from, s)
    this.#maybeCertify(m.seq)
  }

  #maybeCertify (seq: number): void {
    const h = this.#h()
    const c = this.#collecting.get(seq)
    if (c === undefined) return
    const t = this.threshold(c.pp.msg.view)
    if (c.shares.size < t) return
    this.#collecting.delete(seq)
    const shares = [...c.shares.values()].sort((a, b) => this.#validators.indexOf(a.from) - this.#validators.indexOf(b.from)).slice(0, t)
    const certified: Signed<FullPrePrepare> = { from: c.pp.from, sig: c.pp.sig, msg: { ...c.pp.msg, cert: encodeCert(shares) } }
    this.counters.certified++
    if (c.pp.from === h.self) {
      h.replaceOwn(certified)
      h.broadcast(certified)
    } else {
      // Re-certified after an inner failover: everyone (this member too) accepts it now.
      h.broadcast(certified)
      h.deliver(h.self, certified)
    }
  }

  /** The lowest acting index among t valid shares from the view's group on this pre-prepare, or undefined. */
  #checkCert (s: Signed<FullPrePrepare>): number | undefined {
    const m = s.msg
    let shares: Signed<GroupShare>[]
    try { shares = decodeCert(m.cert as Uint8Array) } catch { return undefined }
    const group = this.group(m.view)
    const seen = new Set<ValidatorId>()
    for (const sh of shares) {
      if (seen.has(sh.from) || !group.includes(sh.from)) return undefined
      if (sh.msg.view !== m.view || sh.msg.seq !== m.seq || !bytesEqual(sh.msg.digest, m.digest)) return undefined
      seen.add(sh.from)
    }
    if (seen.size < this.threshold(m.view)) return undefined
    let acting = Infinity
    for (const sh of shares) {
      if (!this.#verifier.verify(sh)) return undefined
      acting = Math.min(acting, sh.msg.acting)
    }
    return acting
  }

  // ---- inner failover ----

  #innerTimeout (): number {
    const doublings = Math.min(this.#consecutiveFailovers, MAX_INNER_DOUBLINGS)
    return Math.min(this.#params.innerTimeoutMs * 2 ** doublings, Math.floor(this.#params.viewChangeTimeoutMs / 2))
  }

  #voteInner (view: number, acting: number): void {
    const h = this.#h()
    const mine = this.#innerVotes.get(h.self)
    if (mine !== undefined && this.#innerVotesView === view && mine.msg.acting >= acting) return
    this.#handOver(view, acting)
    const vote = h.sign({ protocol: TPBFT, type: 'inner-change', epoch: this.#config.epoch, view, acting } as unknown as ThreePhaseMessage) as unknown as Signed<InnerChange>
    h.send(this.group(view), vote as unknown as Signed<ThreePhaseMessage>)
    this.#recordVote(vote)
  }

  #onInnerChange (s: Signed<InnerChange>): void {
    const h = this.#h()
    const m = s.msg
    // A vote of another epoch is about another group (views run across epochs): replayed, it would move this one.
    if (h.viewChanging() || m.epoch !== this.#config.epoch || m.view !== h.view() || !this.#inGroup(m.view, s.from) || m.acting <= this.#actingIndex(m.view) || m.acting >= this.group(m.view).length) return
    this.#recordVote(s)
  }

  #recordVote (s: Signed<InnerChange>): void {
    const h = this.#h()
    const view = s.msg.view
    if (this.#innerVotesView !== view) {
      this.#innerVotes.clear()
      this.#innerVotesView = view
    }
    const prior = this.#innerVotes.get(s.from)
    if (prior === undefined || prior.msg.acting < s.msg.acting) this.#innerVotes.set(s.from, s)
    const current = this.#actingIndex(view)
    const above = [...this.#innerVotes.values()].map((v) => v.msg.acting).filter((a) => a > current).sort((a, b) => b - a)
    const t = this.threshold(view)
    // The highest index that t members asked for (or for more): the group moves there.
    if (above.length >= t) return this.#adoptActing(view, above[t - 1], true)
    // f_g + 1 members asked: at least one is correct, so join the lowest of them.
    const fg = this.group(view).length - t
    const mine = this.#innerVotes.get(h.self)
    if (above.length > fg && (mine === undefined || mine.msg.acting <= current)) this.#voteInner(view, above[above.length - 1])
  }

  #adoptActing (view: number, acting: number, byVotes: boolean): void {
    const h = this.#h()
    if (acting <= this.#actingIndex(view) || acting >= this.group(view).length) return
    const from = this.#actingMember(view)
    if (byVotes && acting === this.#actingIndex(view) + 1) this.#noteComplaint(view, acting)
    this.#acting.set(view, acting)
    h.persist(h.stableSeq(), { protocol: TPBFT, type: 'rec-inner', view, acting } as unknown as ThreePhaseMessage)
    this.counters.innerFailovers++
    this.#consecutiveFailovers++
    this.#progressMark = this.#progress
    this.#collecting.clear()
    h.log({ type: 'inner-failover', view, acting: this.#actingMember(view), skipped: from, byVotes })
    h.disarm(TPBFT_INNER_TIMER)
    if (this.#actingMember(view) === h.self) this.#takeOver(view)
  }

  /** t votes moved the group one step, away from the member before `acting`: that is an inner complaint
   *  (E2) for whichever member proposes next to carry. Votes that asked for other indices do not count. */
  #noteComplaint (view: number, acting: number): void {
    const t = this.threshold(view)
    const votes = [...this.#innerVotes.values()].filter((v) => v.msg.view === view && v.msg.acting === acting && v.msg.epoch === this.#config.epoch)
    if (votes.length < t) return
    const chosen = votes.sort((a, b) => this.#validators.indexOf(a.from) - this.#validators.indexOf(b.from)).slice(0, t)
    this.evidence.noteInnerComplaint(this.#config.epoch, view, acting, chosen as unknown as Signed<TpbftMessage>[])
  }

  /** The open slots of the view this member knows (certified pre-prepares it accepted, proposals it
   *  co-signed), sent to the candidate ahead of its vote for it. A candidate that missed a proposal some
   *  members co-signed (the old acting member died between sends) would otherwise propose a fresh batch
   *  at that seq: the members holding the first digest refuse it, those that sign it cannot sign the
   *  first, and with one member dead neither digest ever gathers t shares, so the view is lost. */
  #handOver (view: number, acting: number): void {
    const h = this.#h()
    const to = this.group(view)[acting]
    if (to === undefined || to === h.self) return
    for (const seq of this.#openSeqs()) {
      const accepted = h.accepted(seq)
      const pp = accepted?.msg.cert !== undefined ? accepted : (this.#proposals.get(seq) ?? accepted)
      if (pp !== undefined && pp.msg.view === view) h.send([to], pp as unknown as Signed<ThreePhaseMessage>)
    }
  }

  /** Seqs above the last commit with a proposal this member co-signed or a pre-prepare it accepted. */
  #openSeqs (): number[] {
    const h = this.#h()
    const seqs = new Set<number>([...this.#proposals.keys()])
    for (let seq = h.lastCommitted() + 1; seq <= h.stableSeq() + this.#params.watermarkWindow; seq++) if (h.accepted(seq) !== undefined) seqs.add(seq)
    return [...seqs].filter((seq) => seq > h.lastCommitted()).sort((a, b) => a - b)
  }

  /** An uncertified proposal of an earlier acting member of this view, handed over by a member voting
   *  for this one (see #handOver): kept for the take-over, or re-certified at once if this member already
   *  acts and has not signed another digest for the slot. False when it is no such hand-over. */
  #handedOver (s: Signed<FullPrePrepare>): boolean {
    const h = this.#h()
    const { view, seq } = s.msg
    const group = this.group(view)
    const mine = group.indexOf(h.self)
    const signer = group.indexOf(s.from)
    // To a candidate (or the acting member itself), about a proposal of a member before it in the group.
    if (signer < 0 || signer >= mine || mine < this.#actingIndex(view)) return false
    if (seq <= h.lastCommitted() || this.#proposals.has(seq)) return true
    this.#proposals.set(seq, s)
    if (this.#actingMember(view) === h.self && h.accepted(seq) === undefined && !this.#collecting.has(seq) && this.#recertify(view, s)) h.reserve(seq)
    return true
  }

  /** Co-signs `proposal` (of this view) as the acting member and asks the group for theirs. */
  #recertify (view: number, proposal: Signed<FullPrePrepare>): boolean {
    const h = this.#h()
    const share = this.#coSign(proposal)
    if (share === undefined) return false
    const seq = proposal.msg.seq
    this.#collecting.set(seq, { pp: proposal, shares: new Map([[h.self, share]]) })
    h.send(this.group(view), proposal)
    this.#maybeCertify(seq)
    return true
  }

  /** The new acting member: re-sends what its group certified, re-certifies what it co-signed or was
   *  handed over, then proposes fresh batches above them. */
  #takeOver (view: number): void {
    const h = this.#h()
    let top = h.lastCommitted()
    for (const seq of this.#openSeqs()) {
      const accepted = h.accepted(seq)
      if (accepted?.msg.cert !== undefined) {
        h.broadcast(accepted)
        top = Math.max(top, seq)
        continue
      }
      const proposal = this.#proposals.get(seq) ?? accepted
      if (proposal === undefined || proposal.msg.view !== view || !this.#recertify(view, proposal)) continue
      top = Math.max(top, seq)
    }
    h.reserve(top)
    h.propose()
  }
}

export function tpbftVariant (validators: ValidatorSet, params: TpbftParams, verifier: MessageVerifier<TpbftMessage>): TpbftVariant {
  return new TpbftVariant(validators, params, verifier)
}
