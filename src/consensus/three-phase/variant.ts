// What a PBFT-family protocol chooses; everything else (phases, checkpoints, view change, state transfer,
// retransmission) is the engine's. PBFT's own choices are in src/consensus/pbft/variant.ts.
import type { Tx } from '../core/batch.ts'
import type { LeaderSchedule } from '../core/leaders.ts'
import type { Signed } from '../core/message.ts'
import type { Quorums } from '../core/quorum.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { Commit, Prepare, PrePrepare } from './messages.ts'

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
  | { readonly kind: 'committed', readonly seq: number, readonly view: number, readonly primary: ValidatorId }
  | { readonly kind: 'stable', readonly seq: number }
  | { readonly kind: 'new-view', readonly view: number, readonly primary: ValidatorId }

export interface ThreePhaseVariant {
  /** The protocol tag of its messages and signing domain ('pbft', ...). */
  readonly protocol: string
  readonly leaders: LeaderSchedule
  readonly votes: VotePolicy
  observe? (e: ReplicaObservation): void
  /** The transactions the primary proposes at `seq` from its pending ones (default: them, in order). */
  propose? (txs: Tx[], seq: number, self: ValidatorId): Tx[]
  /** Whether the view-change timer starts a view change (default: true). */
  readonly changesViewOnTimeout?: boolean
  /** Whether proof that the primary signed two digests for one slot starts a view change at once (default:
   *  false: PBFT's quorums intersect, so it only logs it; a sampled variant must stop voting). */
  readonly equivocationChangesView?: boolean
  /** Whether replicas answer a peer's status that shows it behind with the decided batches and their
   *  commit certificates (default: false: PBFT's commit quorums reach every honest replica; a sampled
   *  variant's may miss one). */
  readonly catchUp?: boolean
  /** Variant-specific figures for status() (ProtocolStatus.extra). */
  extraStatus? (): Readonly<Record<string, number | string>>
}

/** Builds a variant for one replica's validator set. */
export type VariantFactory = (validators: ValidatorSet, quorums: Quorums) => ThreePhaseVariant
