// TEMPORARY stand-in for the trust branch's epochConfig (src/consensus/tpbft/ on branch `trust`): the
// ranking is the canonical validator order and the groups are its consecutive windows of m. Deleted once
// the EigenTrust epoch configuration is merged; schedule.ts consumes only the EpochConfig shape.
import { sha256 } from '../../crypto/hash.ts'
import type { ValidatorSet } from '../core/validators.ts'
import type { EpochConfig } from './schedule.ts'

export function standInEpochConfig (epoch: number, validators: ValidatorSet, groupSize: number): EpochConfig {
  const ranking = [...validators.ids]
  const m = Math.min(groupSize, ranking.length)
  const windows = Math.ceil(ranking.length / m)
  const groups = Array.from({ length: windows }, (_, w) => Array.from({ length: m }, (_, i) => ranking[(w * m + i) % ranking.length]))
  const hash = sha256(new TextEncoder().encode(`tpbft-standin/${epoch}/${ranking.join(',')}/${m}`))
  return { epoch, ranking, groups, hash }
}
