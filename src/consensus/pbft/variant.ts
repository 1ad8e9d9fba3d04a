// PBFT as a variant of the three-phase engine: round-robin primaries, votes broadcast to everyone, and
// quorums that intersect in an honest replica (prepare: quorum - 1 backups, commit: quorum).
import type { Tx } from '../core/batch.ts'
import { roundRobin } from '../core/leaders.ts'
import type { Quorums } from '../core/quorum.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { ThreePhaseVariant, VotePolicy } from '../three-phase/variant.ts'

export const PBFT = 'pbft'

/** Votes broadcast to all; a phase is decided by `size` distinct matching votes (prepares: from backups). */
export function fullQuorumVotes (size: number): VotePolicy {
  return {
    recipients: () => 'all',
    decides: (phase, _view, _seq, votes, _holder) => votes.length >= (phase === 'prepare' ? size - 1 : size),
    certificateSize: (phase) => phase === 'prepare' ? size - 1 : size,
    quorum: size
  }
}

export interface PbftVariantChanges {
  /** The quorum size used for every decision (planted bugs shrink it). */
  readonly quorum?: (q: Quorums) => number
  readonly propose?: (txs: Tx[], seq: number, self: ValidatorId) => Tx[]
  readonly changesViewOnTimeout?: boolean
}

/** Classic PBFT for `validators`; `changes` are for planted-bug builds only. */
export function pbftVariant (validators: ValidatorSet, changes: PbftVariantChanges = {}): ThreePhaseVariant {
  const q = validators.quorums
  return {
    protocol: PBFT,
    leaders: roundRobin(validators),
    votes: fullQuorumVotes(changes.quorum?.(q) ?? q.quorum),
    proposesByIds: true,
    // A replica whose view-change timer fired alone (a slow start, a saturated host) is in a view nobody
    // else is in and votes nowhere until the next view change; commit quorums of the others do not reach
    // it. Its status then brings it the decided batches with their commit certificates, so it keeps
    // applying (and, progressing, does not time out again) instead of living on state transfers. Measured:
    // a 7-node devnet under `novacron bench` left 2 such replicas at 0 applied transactions in about half
    // the runs before this.
    catchUp: true,
    ...(changes.propose === undefined ? {} : { propose: changes.propose }),
    ...(changes.changesViewOnTimeout === undefined ? {} : { changesViewOnTimeout: changes.changesViewOnTimeout })
  }
}
