// T-PBFT's epoch configuration: at the stable checkpoint closing epoch e-1 every replica computes, from the
// trust ledger in the agreed state, the EigenTrust scores, the ranking and the primary groups of epoch e,
// and a hash over their canonical encoding that goes into the replicated state (design note TPBFT.md
// §4.3-4.4). A replica that catches up by state transfer gets the same ledger and so the same groups.
//
// API (stable; the tpbft protocol, its schedule and the admin API call these):
//   TRUST_PARAM_DEFAULTS, trustParams(overrides) (throws ParamError with the reason): epochLength 1024,
//     groupSize 4, window 8 epochs, damping 0.15, 32 iterations, penalties 10 (inner) and 1 (view change),
//     eligibility at half the uniform share.
//   epochOf(seq, epochLength): the epoch a committed seq belongs to (epoch e covers (e*E, (e+1)*E]).
//   localTrust(ids, ledger, fromEpoch, toEpoch, params): the s_ij matrix EigenTrust starts from.
//   epochConfig({ epoch, validators, evidence, checkpointRoot, groupSize, previous?, params? }) => EpochConfig
//     { epoch, ranking, trust (Q32 per ranked id), convicted, eligible, groups, hash, ... }
//   viewGroup(config, view) => { members, fallback }: window v of the ranking, then single primaries.
//   withEvidenceCounts(config, ledger) => config & { counts }: what the admin API's TrustSource serves.
//   encodeEpochConfig(config), hashEpochConfig(config): the canonical bytes the hash is over, and the hash.
import { HASH_BYTES, sha256, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { Writer } from '../core/codec.ts'
import { ParamError } from '../core/module.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import { evidenceCounts } from './evidence.ts'
import type { EvidenceCounts, TrustLedger } from './evidence.ts'
import { PPM, QUANTISED_ONE, eigenTrust } from './trust.ts'

/** Version of the configuration encoding (and so of the hash). */
export const EPOCH_CONFIG_VERSION = 1

export interface TrustParams {
  /** E: sequence numbers per epoch. */
  readonly epochLength: number
  /** m: members of a primary group (clamped to n). */
  readonly groupSize: number
  /** W: epochs of evidence that count (the config of epoch e reads epochs e-W .. e-1). */
  readonly windowEpochs: number
  /** a: EigenTrust damping (weight of pre-trust per step), 0 < a <= 1, at most 6 decimals. */
  readonly damping: number
  /** Fixed number of EigenTrust steps. */
  readonly iterations: number
  /** kappa: local-trust weight of one inner-failover complaint (a reward is 1; Aptos-style asymmetry). */
  readonly innerPenalty: number
  /** Weight of one view-change blame (coarse: honest members of a failed group can be hit). */
  readonly viewChangePenalty: number
  /** A validator is eligible for an early window when its trust is at least this fraction of 1/n. */
  readonly eligibleFraction: number
}

export const TRUST_PARAM_DEFAULTS: TrustParams = {
  epochLength: 1024,
  groupSize: 4,
  windowEpochs: 8,
  damping: 0.15,
  iterations: 32,
  innerPenalty: 10,
  viewChangePenalty: 1,
  eligibleFraction: 0.5
}

/** Largest sensible values: beyond them a parameter is a typo, not a choice. */
const MAX_EPOCH_LENGTH = 1 << 30
const MAX_ITERATIONS = 1024
const MAX_WINDOW = 1024
const MAX_PENALTY = 1_000_000

const ppmOf = (x: number): number => Math.round(x * PPM)

/** Validates overrides on top of the defaults; `checkpointInterval` (when given) must divide epochLength,
 *  since an epoch closes at a stable checkpoint. */
export function trustParams (overrides: Partial<TrustParams> = {}, checkpointInterval?: number): TrustParams {
  const p: TrustParams = { ...TRUST_PARAM_DEFAULTS, ...overrides }
  const int = (key: keyof TrustParams, min: number, max: number): void => {
    const v = p[key]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ParamError(`${key} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`)
  }
  int('epochLength', 1, MAX_EPOCH_LENGTH)
  int('groupSize', 1, 1024)
  int('windowEpochs', 1, MAX_WINDOW)
  int('iterations', 1, MAX_ITERATIONS)
  int('innerPenalty', 0, MAX_PENALTY)
  int('viewChangePenalty', 0, MAX_PENALTY)
  if (typeof p.damping !== 'number' || !(p.damping > 0 && p.damping <= 1)) throw new ParamError(`damping must be in (0, 1] (0.15 is EigenTrust's usual choice; 0 would let a clique keep its trust), got ${JSON.stringify(p.damping)}`)
  if (Math.abs(ppmOf(p.damping) - p.damping * PPM) > 1e-6) throw new ParamError(`damping ${p.damping} has more than 6 decimals: it is computed in millionths`)
  if (typeof p.eligibleFraction !== 'number' || !(p.eligibleFraction >= 0 && p.eligibleFraction <= 1)) throw new ParamError(`eligibleFraction must be in [0, 1], got ${JSON.stringify(p.eligibleFraction)}`)
  if (Math.abs(ppmOf(p.eligibleFraction) - p.eligibleFraction * PPM) > 1e-6) throw new ParamError(`eligibleFraction ${p.eligibleFraction} has more than 6 decimals`)
  if (checkpointInterval !== undefined && p.epochLength % checkpointInterval !== 0) throw new ParamError(`epochLength ${p.epochLength} must be a multiple of checkpointInterval ${checkpointInterval}: an epoch closes at a stable checkpoint`)
  return p
}

/** The epoch of committed `seq` (>= 1): epoch e covers seqs e*E+1 .. (e+1)*E. */
export function epochOf (seq: number, epochLength: number): number {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`seq must be a positive integer, got ${seq}`)
  return Math.floor((seq - 1) / epochLength)
}

/** s_ij = sum over epochs [fromEpoch, toEpoch] of min(agree_ij, 1) - kappa * inner_ij - lambda * viewChange_ij,
 *  in the order of `ids`. Agreement saturates at one per pair and epoch, so leading many blocks earns no
 *  more than co-signing one (no entrenchment of proposers). */
export function localTrust (ids: readonly ValidatorId[], ledger: TrustLedger, fromEpoch: number, toEpoch: number, params: Pick<TrustParams, 'innerPenalty' | 'viewChangePenalty'>): number[][] {
  const index = new Map(ids.map((id, i) => [id, i]))
  // Integer sums (safe integers, exact), so the ledger's iteration order cannot change the result.
  const s = ids.map(() => new Array<number>(ids.length).fill(0))
  for (const e of ledger.epochs()) {
    if (e < fromEpoch || e > toEpoch) continue
    ledger.forEachPair(e, (rater, ratee, c) => {
      const i = index.get(rater)
      const j = index.get(ratee)
      if (i === undefined || j === undefined || i === j) return
      s[i][j] += Math.min(c.agree, 1) - params.innerPenalty * c.inner - params.viewChangePenalty * c.viewChange
    })
  }
  return s
}

export interface EpochConfig {
  readonly epoch: number
  /** Every validator, best first: eligible by trust then tie key, then the ineligible, then the convicted. */
  readonly ranking: readonly ValidatorId[]
  /** Quantised trust (Q32, 2^32 = 1) of ranking[i], same order. */
  readonly trust: readonly number[]
  /** Eligible validators (the first `eligible` of the ranking). */
  readonly eligible: number
  /** Convicted validators, sorted: trust 0, last in the ranking, never a fallback primary. */
  readonly convicted: readonly ValidatorId[]
  /** m actually used (groupSize clamped to n). */
  readonly groupSize: number
  /** ceil(c / m) disjoint windows of the ranking without the convicted (c of them; the whole ranking when
   *  c < m), the last wrapping around to its start. */
  readonly groups: readonly (readonly ValidatorId[])[]
  /** Single primaries of the fallback views: the ranking without the convicted. */
  readonly fallback: readonly ValidatorId[]
  /** Evidence epochs this configuration read: [from, to] (to < from: none, as in epoch 0). */
  readonly evidenceFrom: number
  readonly evidenceTo: number
  readonly checkpointRoot: Hash
  /** Hash of the previous epoch's configuration (zeros at epoch 0), so the hash commits to the chain. */
  readonly previousHash: Hash
  /** The validated parameters it was computed with (they are hashed too). */
  readonly params: TrustParams
  /** sha256 over encodeEpochConfig: what the replicated state holds. */
  readonly hash: Hash
}

export interface EpochConfigInput {
  readonly epoch: number
  readonly validators: ValidatorSet
  /** The trust ledger as of the checkpoint closing epoch-1. */
  readonly evidence: TrustLedger
  /** State root of the stable checkpoint at epoch*E: seeds the tie-break. */
  readonly checkpointRoot: Hash
  readonly groupSize: number
  /** The configuration of epoch-1 (its hash chains into this one); required for epoch > 0. */
  readonly previous?: Pick<EpochConfig, 'epoch' | 'hash'>
  /** Trust parameters other than groupSize (defaults TRUST_PARAM_DEFAULTS). */
  readonly params?: Partial<TrustParams>
}

const TIE_TAG = new TextEncoder().encode('novacron/tpbft/tie-break\0')
const CONFIG_TAG = new TextEncoder().encode('novacron/tpbft/epoch-config\0')

/** H(tag || checkpointRoot || epoch || id): orders equally trusted validators, differently every epoch. */
export function tieKey (checkpointRoot: Hash, epoch: number, id: ValidatorId): string {
  return toHex(sha256(TIE_TAG, new Writer().bytes(checkpointRoot).u64(epoch).str(id).finish()))
}

export function epochConfig (input: EpochConfigInput): EpochConfig {
  const params = trustParams({ ...input.params, groupSize: input.groupSize })
  const { epoch, validators, checkpointRoot } = input
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`)
  if (checkpointRoot.byteLength !== HASH_BYTES) throw new RangeError(`checkpoint root must be ${HASH_BYTES} bytes`)
  if (epoch > 0 && input.previous === undefined) throw new RangeError(`the configuration of epoch ${epoch} chains to epoch ${epoch - 1}'s: pass previous`)
  if (input.previous !== undefined && input.previous.epoch !== epoch - 1) throw new RangeError(`previous is epoch ${input.previous.epoch}, expected ${epoch - 1}`)
  const ids = validators.ids
  const n = ids.length
  const convictedFlags = ids.map((id) => input.evidence.isConvicted(id))
  const evidenceTo = epoch - 1
  const evidenceFrom = Math.max(0, epoch - params.windowEpochs)
  const local = localTrust(ids, input.evidence, evidenceFrom, evidenceTo, params)
  const { quantised } = eigenTrust({ local, convicted: convictedFlags, dampingPpm: ppmOf(params.damping), iterations: params.iterations })

  // Eligible: q >= fraction * 2^32 / n, compared exactly in integers (q * n * 1e6 >= fractionPpm * 2^32).
  const threshold = BigInt(ppmOf(params.eligibleFraction)) * BigInt(QUANTISED_ONE)
  const order = ids.map((id, i) => ({ id, q: convictedFlags[i] ? 0 : quantised[i], convicted: convictedFlags[i], tie: tieKey(checkpointRoot, epoch, id) }))
  const eligibleOf = (o: { q: number, convicted: boolean }): boolean => !o.convicted && BigInt(o.q) * BigInt(n) * BigInt(PPM) >= threshold
  const klass = (o: { q: number, convicted: boolean }): number => (o.convicted ? 2 : eligibleOf(o) ? 0 : 1)
  order.sort((a, b) => klass(a) - klass(b) || b.q - a.q || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0))
  const ranking = order.map((o) => o.id)
  const m = Math.min(params.groupSize, n)
  // Windows are cut from the validators not convicted while they can fill one; a convicted validator sits
  // in a group only when fewer than m others remain (then t-of-m co-signing still bounds what it can do).
  const fallback = ranking.filter((_, i) => !order[i].convicted)
  const pool = fallback.length >= m ? fallback : ranking
  const windows = Math.ceil(pool.length / m)
  const groups = Array.from({ length: windows }, (_, w) => Array.from({ length: m }, (_, i) => pool[(w * m + i) % pool.length]))
  const partial = {
    epoch,
    ranking,
    trust: order.map((o) => o.q),
    eligible: order.filter((o) => klass(o) === 0).length,
    convicted: ids.filter((_, i) => convictedFlags[i]),
    groupSize: m,
    groups,
    fallback,
    evidenceFrom,
    evidenceTo,
    checkpointRoot: checkpointRoot.slice(),
    previousHash: input.previous?.hash.slice() ?? new Uint8Array(HASH_BYTES),
    params
  }
  const body = encodeConfigBody(partial)
  return { ...partial, hash: sha256(CONFIG_TAG, body) }
}

function encodeConfigBody (c: Omit<EpochConfig, 'hash'>): Uint8Array {
  const params = c.params
  const w = new Writer(256).u8(EPOCH_CONFIG_VERSION).u64(c.epoch)
  // The parameters that shaped the result are part of it: two nodes with different genesis params differ.
  w.u64(params.epochLength).u32(c.groupSize).u32(params.windowEpochs).u32(ppmOf(params.damping)).u32(params.iterations)
  w.u32(params.innerPenalty).u32(params.viewChangePenalty).u32(ppmOf(params.eligibleFraction))
  w.bytes(c.checkpointRoot).bytes(c.previousHash).u64(c.evidenceFrom).u64(c.evidenceTo + 1)
  w.list(c.ranking, (w, id) => { w.str(id) })
  w.list(c.trust, (w, q) => { w.u64(q) })
  w.u32(c.eligible)
  w.list(c.convicted, (w, id) => { w.str(id) })
  w.list(c.groups, (w, g) => { w.list(g, (w, id) => { w.str(id) }) })
  w.list(c.fallback, (w, id) => { w.str(id) })
  return w.finish()
}

/** The canonical bytes the configuration's hash covers (for tests, logs and offline recomputation). */
export function encodeEpochConfig (config: EpochConfig): Uint8Array {
  return encodeConfigBody(config)
}

/** sha256 of the canonical encoding: equals config.hash for a configuration epochConfig built. */
export function hashEpochConfig (config: EpochConfig): Hash {
  return sha256(CONFIG_TAG, encodeConfigBody(config))
}

export interface ViewGroup {
  /** Who may co-sign (and act as proposer, in this order) in the view. */
  readonly members: readonly ValidatorId[]
  /** True once every window has had its view: single primaries, plain PBFT round robin. */
  readonly fallback: boolean
}

/** The group of `view` (views restart at 0 each epoch): window v for v < number of windows, then the
 *  fallback primaries in ranking order, round robin, for every later view. */
export function viewGroup (config: Pick<EpochConfig, 'groups' | 'fallback' | 'ranking'>, view: number): ViewGroup {
  if (!Number.isSafeInteger(view) || view < 0) throw new RangeError(`view must be a non-negative integer, got ${view}`)
  const w = config.groups.length
  if (view < w) return { members: config.groups[view], fallback: false }
  const singles = config.fallback.length > 0 ? config.fallback : config.ranking
  return { members: [singles[(view - w) % singles.length]], fallback: true }
}

/** A configuration with the evidence counts of the epochs it read, per ranked validator (for status and
 *  the admin API's TrustSource). */
export function withEvidenceCounts (config: EpochConfig, ledger: TrustLedger): EpochConfig & { readonly counts: readonly EvidenceCounts[] } {
  return { ...config, counts: evidenceCounts(ledger, config.ranking, config.evidenceFrom, config.evidenceTo) }
}
