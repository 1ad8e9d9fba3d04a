// What a PBFT-family protocol chooses; everything else (phases, checkpoints, view change, state transfer,
// retransmission) is the engine's. PBFT's own choices are in src/consensus/pbft/variant.ts.
import type { Batch, Tx } from '../core/batch.ts'
import type { LeaderSchedule } from '../core/leaders.ts'
import type { Signed } from '../core/message.ts'
import type { Quorums } from '../core/quorum.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { Commit, FullPrePrepare, Prepare, PrePrepare, ThreePhaseMessage, ViewChange } from './messages.ts'
import type { LogEvent, PersistedRecord, ProtocolExtra, TimerId } from '../core/protocol.ts'

export type Phase = 'prepare' | 'commit'

export interface VotePolicy {
  /** Who receives this replica's vote: 'all' is PBFT's broadcast, a list is a sample. */
  recipients (phase: Phase, view: number, seq: number): readonly ValidatorId[] | 'all'
  /** Evidence to carry in this replica's vote (e.g. a VRF proof of sample membership); none in PBFT.
   *  A variant with proofs builds its codec with threePhaseCodec(tag, true). `proposal`: the signed
   *  pre-prepare a prepare answers (a variant may carry the leader's signature along). */
  prove? (phase: Phase, view: number, seq: number, proposal?: Signed<PrePrepare>): Uint8Array
  /** Most bytes a proof of this variant takes (default MAX_PROOF_BYTES): sizes the new-view bound. */
  readonly proofBytes?: number
  /** Whether these distinct, signature-checked votes for one digest decide the phase (prepares: from
   *  backups only) at `holder` (this replica, or the holder of a certificate it checks). PBFT: prepare >=
   *  quorum - 1, commit >= quorum, whoever holds them. */
  decides (phase: Phase, view: number, seq: number, votes: readonly Signed<Prepare | Commit>[], holder: ValidatorId): boolean
  /** Checked before a peer's vote is stored: a reason to refuse it (e.g. its sample proof is invalid or
   *  leaves this replica out), or undefined to accept. None in PBFT: every signed vote is stored. */
  admits? (phase: Phase, vote: Signed<Prepare | Commit>): string | undefined
  /** The leader's pre-prepare header a prepare carries (unverified; the engine checks its signature), or
   *  undefined. With it a replica that missed the proposal adopts it and fetches the batch, and one that
   *  accepted another digest for the slot holds proof that the leader equivocated. None in PBFT. */
  proposalIn? (vote: Signed<Prepare>): Signed<PrePrepare> | undefined
  /** How many of the deciding votes (in validator order) a prepared certificate or commit certificate keeps. */
  certificateSize (phase: Phase): number
  /** Distinct validators a checkpoint proof, a view change and a new-view certificate need. */
  readonly quorum: number
}

/** Deterministic observations from what this replica commits and installs, in order (for a trust ledger
 *  or an epoch's leader group): the same on every honest replica. */
export type ReplicaObservation =
  /** `batch` and `cert` (the commit certificate this replica decided on) where the engine has them. */
  | { readonly kind: 'committed', readonly seq: number, readonly view: number, readonly primary: ValidatorId, readonly batch?: Batch, readonly cert?: readonly Signed<Commit>[] }
  /** `extra`: the variant extra its certificate certified (checkpointExtra), `signers`: who signed it. */
  | { readonly kind: 'stable', readonly seq: number, readonly stateRoot: Uint8Array, readonly extra?: Uint8Array, readonly signers?: readonly ValidatorId[] }
  /** `viewChanges`: the quorum of VIEW-CHANGEs the installed NEW-VIEW carried (T-PBFT's evidence E3). */
  | { readonly kind: 'new-view', readonly view: number, readonly primary: ValidatorId, readonly viewChanges?: readonly Signed<ViewChange>[] }

export interface ThreePhaseVariant {
  /** The protocol tag of its messages and signing domain ('pbft', ...). */
  readonly protocol: string
  readonly leaders: LeaderSchedule
  readonly votes: VotePolicy
  observe? (e: ReplicaObservation): void
  /** Whether the primary's pre-prepares name their batch by transaction ids (default: false, the batch rides
   *  along). Every replica was relayed the transactions, so a pre-prepare then costs 32 bytes per
   *  transaction instead of the transaction again; a replica that lacks one fetches the batch from the
   *  primary. Only for variants whose primary broadcasts its proposals (no sendProposal). */
  readonly proposesByIds?: boolean
  /** The transactions the primary proposes at `seq` from its pending ones (default: them, in order). */
  propose? (txs: Tx[], seq: number, self: ValidatorId): Tx[]
  /** Whether the view-change timer starts a view change (default: true). */
  readonly changesViewOnTimeout?: boolean
  /** Whether proof that the primary signed two digests for one slot starts a view change at once (default:
   *  false: PBFT's quorums intersect, so it only logs it; a sampled variant must stop voting). */
  readonly equivocationChangesView?: boolean
  /** Whether replicas answer a peer's status that shows it behind with the decided batches and their
   *  commit certificates (default: false; PBFT, ProBFT and T-PBFT set it: a replica that changed view
   *  alone votes nowhere, and a sampled variant's commit quorums may miss one). */
  readonly catchUp?: boolean

  // ---- Optional hooks for variants whose proposals need more than the primary's signature (T-PBFT's
  // co-signing primary group). A variant that defines none of them is plain PBFT's engine, effect for
  // effect: every default below is exactly what the engine did before the hook existed.

  /** Whether `from` may sign a pre-prepare of `view` (default: from is leaders.leader(view)). It also
   *  judges the pre-prepares inside prepared certificates. */
  mayPropose? (view: number, from: ValidatorId): boolean
  /** A pre-prepare of the current view that passed the engine's checks, from transport peer `peer`:
   *  true accepts it, false drops it (the variant may have answered it, e.g. with a co-signature). */
  admitPrePrepare? (peer: ValidatorId, s: Signed<FullPrePrepare>): boolean
  /** This replica's own new pre-prepare, already accepted and persisted: the variant sends it in place of
   *  the engine's broadcast (T-PBFT: to its group, for co-signatures, then certified to everyone). */
  sendProposal? (s: Signed<FullPrePrepare>): void
  /** Messages of types the engine does not know (the variant's own, decoded by its codec). */
  onMessage? (peer: ValidatorId, s: Signed<ThreePhaseMessage>): void
  /** Timers the engine does not own; true when the variant handled it. */
  onTimer? (timer: TimerId): boolean
  /** Every persisted record, before the engine replays them (the variant's own records included). */
  restore? (records: readonly PersistedRecord<ThreePhaseMessage>[]): void
  /** Called once the engine has handled an input, before its effects leave (timers the variant keeps). */
  afterInput? (): void
  /** Whether the primary may propose `seq` now (default: yes); T-PBFT holds the first seq of an epoch
   *  until the checkpoint closing the previous one is stable. */
  mayProposeSeq? (seq: number): boolean
  /** A hash of the variant's own replicated data as of the commit of `seq` (a checkpoint), signed into
   *  this replica's checkpoint with the state root, so that the checkpoint certificate (quorum matching
   *  votes) certifies both; undefined when it has none for `seq` (its vote then matches no certificate
   *  that has one). Its codec must be built with checkpoint extras. `stateRoot`: this replica's root at seq.
   *  T-PBFT: the hash of its trust ledger and its epoch's tie-break seed (an epoch's first root). */
  checkpointExtra? (seq: number, stateRoot: Uint8Array): Uint8Array | undefined
  /** Variant-specific figures for status() (ProtocolStatus.extra): ProBFT's quorum and sample sizes,
   *  T-PBFT's epoch, group and ranking. */
  extraStatus? (): ProtocolExtra
  /** The engine hands the variant its side of the replica before the first input. */
  attach? (host: VariantHost): void
}

/** What the engine lets a variant see and do; effects go out in order with the engine's own. */
export interface VariantHost {
  readonly self: ValidatorId
  now (): number
  view (): number
  viewChanging (): boolean
  stableSeq (): number
  lastCommitted (): number
  /** Pending, in-flight or decided-but-undelivered transactions. */
  hasWork (): boolean
  sign<T extends ThreePhaseMessage> (msg: T): Signed<T>
  send (to: readonly ValidatorId[], s: Signed<ThreePhaseMessage>): void
  broadcast (s: Signed<ThreePhaseMessage>): void
  persist (seq: number, msg: ThreePhaseMessage): void
  arm (id: TimerId, ms: number): void
  disarm (id: TimerId): void
  log (event: LogEvent): void
  /** This replica's accepted pre-prepare for `seq` in the current view, if any. */
  accepted (seq: number): Signed<FullPrePrepare> | undefined
  /** Replaces this replica's own accepted pre-prepare at its seq with `s` (same digest, e.g. now carrying
   *  a certificate), so resends carry it too. */
  replaceOwn (s: Signed<FullPrePrepare>): void
  /** Runs a pre-prepare through the engine as if it had arrived from `peer`. */
  deliver (peer: ValidatorId, s: Signed<FullPrePrepare>): void
  /** No fresh proposal at or below `seq` in this view (the variant is re-certifying them). */
  reserve (seq: number): void
  /** Proposes what is pending now (after the variant made this replica the proposer). */
  propose (): void
  /** Starts a view change to the next view now, as a timeout would (a baseline that rotates its primary
   *  on schedule; nothing when a view change is already under way). */
  changeView (): void
}

/** Builds a variant for one replica's validator set. */
export type VariantFactory = (validators: ValidatorSet, quorums: Quorums) => ThreePhaseVariant
