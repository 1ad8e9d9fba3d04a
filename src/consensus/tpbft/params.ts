// T-PBFT's parameters: the three-phase engine's, plus the epoch length, the primary group's size and
// co-signing threshold, and the inner failover timeout (docs: shared/design/notes/TPBFT.md §4.9).
import { ParamError } from '../core/module.ts'
import { checkPositive } from '../core/param-limits.ts'
import { DEFAULT_THREE_PHASE_PARAMS, THREE_PHASE_GENESIS_DEFAULTS, threePhaseParams, threePhaseParamsFromGenesis } from '../three-phase/params.ts'
import type { ThreePhaseParams } from '../three-phase/params.ts'

export interface TpbftParams extends ThreePhaseParams {
  /** E: sequence numbers per epoch; trust and the group ranking are recomputed at the stable checkpoint
   *  closing each epoch (a multiple of the checkpoint interval). */
  readonly epochLength: number
  /** m: members of a primary group (clamped to the cluster size). */
  readonly groupSize: number
  /** t: co-signatures a pre-prepare needs from its view's group; 0 derives the safe 2*floor((m-1)/3)+1. */
  readonly coSignThreshold: number
  /** T_in: how long a group member waits for a certified pre-prepare before asking for the next acting
   *  proposer; it doubles per consecutive failover, up to half the view-change timeout. */
  readonly innerTimeoutMs: number
  /** 1 (the default): each epoch's ranking is EigenTrust over the committed evidence; every stable
   *  checkpoint certifies the trust ledger's hash, and a replica that skipped evidence-carrying batches by
   *  state transfer fetches the certified ledger before it enters the next epoch (ledger-sync.ts), so it
   *  computes the same groups. 0: the evidence is carried, verified and counted (`trust show`), but the
   *  ranking is the uniform-trust tie-break (a fallback). Not a genesis parameter. */
  readonly rankByEvidence: number
}

export const DEFAULT_TPBFT_PARAMS: TpbftParams = {
  ...DEFAULT_THREE_PHASE_PARAMS,
  epochLength: 1024,
  groupSize: 4,
  coSignThreshold: 0,
  innerTimeoutMs: DEFAULT_THREE_PHASE_PARAMS.viewChangeTimeoutMs / 4,
  rankByEvidence: 1
}

/** f_g and t for a group of `m`: a certificate of t intersects any other in f_g + 1 members, so a group
 *  with at most f_g faulty members certifies at most one digest per slot, and t <= m - f_g stays live. */
export function groupThreshold (m: number, requested = 0): number {
  const fg = Math.floor((m - 1) / 3)
  if (requested === 0) return 2 * fg + 1
  return requested
}

export function tpbftParams (overrides: Partial<TpbftParams> = {}): TpbftParams {
  const base = threePhaseParams(overrides)
  const p: TpbftParams = {
    ...base,
    epochLength: overrides.epochLength ?? DEFAULT_TPBFT_PARAMS.epochLength,
    groupSize: overrides.groupSize ?? DEFAULT_TPBFT_PARAMS.groupSize,
    coSignThreshold: overrides.coSignThreshold ?? DEFAULT_TPBFT_PARAMS.coSignThreshold,
    innerTimeoutMs: overrides.innerTimeoutMs ?? Math.max(1, Math.floor(base.viewChangeTimeoutMs / 4)),
    rankByEvidence: overrides.rankByEvidence ?? DEFAULT_TPBFT_PARAMS.rankByEvidence
  }
  if (p.rankByEvidence !== 0 && p.rankByEvidence !== 1) throw new ParamError(`rankByEvidence must be 0 or 1, got ${p.rankByEvidence}`)
  checkPositive(p, ['epochLength', 'groupSize', 'innerTimeoutMs'])
  if (!Number.isInteger(p.coSignThreshold) || p.coSignThreshold < 0) throw new ParamError(`coSignThreshold must be 0 (derive) or a positive integer, got ${p.coSignThreshold}`)
  if (p.epochLength % p.checkpointInterval !== 0) throw new ParamError(`epochLength ${p.epochLength} must be a multiple of checkpointInterval ${p.checkpointInterval}`)
  if (p.innerTimeoutMs * 2 > p.viewChangeTimeoutMs) throw new ParamError(`innerTimeoutMs ${p.innerTimeoutMs} must be at most half of viewChangeTimeoutMs ${p.viewChangeTimeoutMs}, so an inner failover ends before a view change starts`)
  if (p.coSignThreshold !== 0) {
    const m = p.groupSize
    const t = p.coSignThreshold
    if (t > m) throw new ParamError(`coSignThreshold ${t} exceeds groupSize ${m}`)
    if (2 * t - m <= Math.floor((m - 1) / 3)) throw new ParamError(`coSignThreshold ${t} of groupSize ${m}: two certificates must share more than floor((m-1)/3) members (use 0 to derive ${groupThreshold(m)})`)
  }
  return p
}

/** What a genesis file may set for T-PBFT, with its defaults (0: derived). */
export const TPBFT_GENESIS_DEFAULTS = { ...THREE_PHASE_GENESIS_DEFAULTS, epochLength: 1000, groupSize: 4, innerTimeoutMs: 500 } as const

export function tpbftParamsFromGenesis (g: Readonly<Record<string, number>>): TpbftParams {
  const base = threePhaseParamsFromGenesis(g)
  return tpbftParams({ ...base, epochLength: g.epochLength, groupSize: g.groupSize, innerTimeoutMs: Math.min(g.innerTimeoutMs, Math.floor(base.viewChangeTimeoutMs / 2)) })
}
