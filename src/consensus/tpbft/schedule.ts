// Who may propose in a T-PBFT view: the epoch configuration's groups in turn (one disjoint window of the
// trust ranking per view), then, once every window has had its view, single primaries down the ranking for
// a round (plain PBFT's liveness), then the windows again. Every replica computes the same schedule from
// the same configuration.
import type { Hash } from '../../crypto/hash.ts'
import type { ValidatorId } from '../core/validators.ts'

/** What an epoch's trust computation fixes: the ranking (best first) and its windows of m members. */
export interface EpochConfig {
  readonly epoch: number
  readonly ranking: readonly ValidatorId[]
  readonly groups: readonly (readonly ValidatorId[])[]
  readonly hash: Hash
}

/** The primary group of `view`: a window of the ranking, or a single primary in the fallback round. */
export function groupOf (config: EpochConfig, view: number): readonly ValidatorId[] {
  const w = config.groups.length
  const cycle = w + config.ranking.length
  const k = view % cycle
  return k < w ? config.groups[k] : [config.ranking[k - w]]
}

/** Co-signatures a group of `size` needs: t of the parameters, clamped to the group, at least a majority. */
export function thresholdOf (size: number, t: number): number {
  return Math.max(Math.floor(size / 2) + 1, Math.min(t, size))
}
