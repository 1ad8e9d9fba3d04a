// What a PBFT-family protocol chooses; everything else (phases, checkpoints, view change, state transfer,
// retransmission) is the engine's. PBFT's own choices are in src/consensus/pbft/variant.ts.
import type { Tx } from '../core/batch.ts'
import type { LeaderSchedule } from '../core/leaders.ts'
import type { Signed } from '../core/message.ts'
import type { Quorums } from '../core/quorum.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { Commit, Prepare } from './messages.ts'

export type Phase = 'prepare' | 'commit'

export interface VotePolicy {
  /** Who receives this replica's vote: 'all' is PBFT's broadcast, a list is a sample. */
  recipients (phase: Phase, view: number, seq: number): readonly ValidatorId[] | 'all'
  /** Evidence to carry in this replica's vote (e.g. a VRF proof of sample membership); none in PBFT.
   *  A variant with proofs builds its codec with threePhaseCodec(tag, true). */
  prove? (phase: Phase, view: number, seq: number): Uint8Array
  /** Whether these distinct, signature-checked votes for one digest decide the phase (prepares: from
   *  backups only). PBFT: prepare >= quorum - 1, commit >= quorum. */
  decides (phase: Phase, view: number, seq: number, votes: readonly Signed<Prepare | Commit>[]): boolean
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
}

/** Builds a variant for one replica's validator set. */
export type VariantFactory = (validators: ValidatorSet, quorums: Quorums) => ThreePhaseVariant
