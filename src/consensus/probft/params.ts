// ProBFT's parameters: the three-phase engine's plus l and o (in hundredths, since genesis params are
// integers) and the faults the sampled quorums are sized for; settings whose analytic failure odds for
// (n, f) exceed the bound are refused, naming which odds and by how much.
import { ParamError } from '../core/module.ts'
import { DEFAULT_THREE_PHASE_PARAMS, THREE_PHASE_GENESIS_DEFAULTS, threePhaseParams, threePhaseParamsFromGenesis } from '../three-phase/params.ts'
import type { ThreePhaseParams } from '../three-phase/params.ts'
import { probftQuorum, probftRefusal, probftSampleSize, PROBFT_MAX_FAILURE_ODDS, PROBFT_MAX_MISS_ODDS, sampledQuorumOdds } from './odds.ts'

export interface ProbftParams extends ThreePhaseParams {
  /** l * 100: the quorum is q = ceil(l * sqrt(n)). */
  readonly lPercent: number
  /** o * 100: each vote goes to a VRF sample of s = min(n, ceil(o * q)) replicas. */
  readonly oPercent: number
  /** Byzantine replicas the sampled quorums are sized for; 0: floor((n - 1) / 3). View changes and
   *  checkpoints keep the deterministic n - f quorums whatever this says. */
  readonly faults: number
  /** Largest accepted per-decision chance that Byzantine votes alone fill some replica's quorum (odds.ts decisionUnsafe). */
  readonly maxFailureOdds: number
  /** Largest accepted chance that a correct replica misses a phase quorum with f silent (P[Bin(n - f, s/n) < q]). */
  readonly maxMissOdds: number
}

export const DEFAULT_PROBFT_PARAMS: ProbftParams = {
  ...DEFAULT_THREE_PHASE_PARAMS,
  lPercent: 150,
  oPercent: 200,
  faults: 0,
  maxFailureOdds: PROBFT_MAX_FAILURE_ODDS,
  maxMissOdds: PROBFT_MAX_MISS_ODDS
}

export function probftParams (overrides: Partial<ProbftParams> = {}): ProbftParams {
  const p = { ...DEFAULT_PROBFT_PARAMS, ...threePhaseParams(overrides), ...pick(overrides) }
  for (const k of ['lPercent', 'oPercent'] as const) {
    if (!Number.isInteger(p[k]) || p[k] < 1 || p[k] > 10_000) throw new ParamError(`${k} must be an integer in 1..10000 (hundredths), got ${p[k]}`)
  }
  if (!Number.isInteger(p.faults) || p.faults < 0) throw new ParamError(`faults must be a non-negative integer, got ${p.faults}`)
  for (const k of ['maxFailureOdds', 'maxMissOdds'] as const) if (!(p[k] > 0 && p[k] <= 1)) throw new ParamError(`${k} must be in (0, 1], got ${p[k]}`)
  return p
}

const pick = (o: Partial<ProbftParams>): Partial<ProbftParams> =>
  Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && ['lPercent', 'oPercent', 'faults', 'maxFailureOdds', 'maxMissOdds'].includes(k)))

export interface ProbftSizes { readonly n: number, readonly f: number, readonly q: number, readonly sampleSize: number, readonly missQuorum: number, readonly byzantineQuorum: number }

/** q, the sample size and their odds for n validators; throws ParamError for settings that cannot form a
 *  quorum or whose odds exceed the bounds. */
export function probftSizes (p: ProbftParams, n: number): ProbftSizes {
  const f = p.faults === 0 ? Math.floor((n - 1) / 3) : p.faults
  if (f > Math.floor((n - 1) / 3)) throw new ParamError(`faults ${f} exceeds floor((n - 1) / 3) = ${Math.floor((n - 1) / 3)} for ${n} validators`)
  const q = probftQuorum(n, p.lPercent / 100)
  const s = probftSampleSize(n, q, p.oPercent / 100)
  const odds = sampledQuorumOdds({ n, f, q, sampleSize: s })
  const refusal = probftRefusal(odds, { maxFailureOdds: p.maxFailureOdds, maxMissOdds: p.maxMissOdds })
  if (refusal !== null) throw new ParamError(`ProBFT with n=${n}, f=${f}, l=${p.lPercent / 100}, o=${p.oPercent / 100} (q=${q}, sample ${s}): ${refusal}; \`novacron probft odds --n ${n} --f ${f}\` recommends a setting`)
  return { n, f, q, sampleSize: s, missQuorum: odds.missQuorum, byzantineQuorum: odds.byzantineQuorum }
}

/** What a genesis file may set: the engine's keys plus lPercent and oPercent (genesis params are positive
 *  integers). A genesis sizes the sampled quorums for the classic f = floor((n - 1) / 3). */
export const PROBFT_GENESIS_DEFAULTS = { ...THREE_PHASE_GENESIS_DEFAULTS, lPercent: DEFAULT_PROBFT_PARAMS.lPercent, oPercent: DEFAULT_PROBFT_PARAMS.oPercent } as const

export function probftParamsFromGenesis (g: Readonly<Record<string, number>>, validators: number): ProbftParams {
  const p = probftParams({ ...threePhaseParamsFromGenesis(g), lPercent: g.lPercent, oPercent: g.oPercent })
  probftSizes(p, validators)
  return p
}
