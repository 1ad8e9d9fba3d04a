// Who may propose in a T-PBFT view, from the epoch configuration (epoch.ts): the windows of the trust
// ranking in turn, one per view, then, once every window has had its view, single primaries down the
// ranking for a round (plain PBFT's liveness, convicted validators skipped), then the windows again. Views
// are numbered across epochs; every replica computes the same schedule from the same configuration.
import type { ValidatorId } from '../core/validators.ts'
import type { EpochConfig } from './epoch.ts'

export type { EpochConfig } from './epoch.ts'

/** The primary group of `view`: a window of the ranking, or a single primary in the fallback round. */
export function groupOf (config: Pick<EpochConfig, 'groups' | 'fallback' | 'ranking'>, view: number): readonly ValidatorId[] {
  const singles = config.fallback.length > 0 ? config.fallback : config.ranking
  const w = config.groups.length
  const k = view % (w + singles.length)
  return k < w ? config.groups[k] : [singles[k - w]]
}

/** Co-signatures a group of `size` needs: t of the parameters, clamped to the group, at least a majority. */
export function thresholdOf (size: number, t: number): number {
  return Math.max(Math.floor(size / 2) + 1, Math.min(t, size))
}
