// Tunables of the three-phase engine, with their validation. Defaults suit a LAN cluster; the simulator
// passes WAN-sized timeouts.
import { ParamError } from '../core/module.ts'
import { checkBatchSize, checkPositive } from '../core/param-limits.ts'

export interface ThreePhaseParams {
  /** Most transactions per pre-prepare. */
  readonly batchSize: number
  /** How long the primary waits to fill a batch before proposing a partial one. */
  readonly batchDelayMs: number
  /** How long a replica gathers client transactions before relaying them (batchDelayMs when unset);
   *  the node's clients already batch, so it relays almost at once. */
  readonly relayDelayMs?: number
  /** Base view-change timeout; it doubles with every view that fails to make progress. */
  readonly viewChangeTimeoutMs: number
  /** Cap on the doubled timeout. */
  readonly maxViewChangeTimeoutMs: number
  /** K: a checkpoint every K sequence numbers. */
  readonly checkpointInterval: number
  /** L: sequence numbers above the stable checkpoint that may be in flight (high watermark = h + L). */
  readonly watermarkWindow: number
  /** Period of retransmission while work is unfinished, so lost messages cannot stall a healthy cluster. */
  readonly resendIntervalMs: number
}

export const DEFAULT_THREE_PHASE_PARAMS: ThreePhaseParams = {
  batchSize: 1000,
  batchDelayMs: 5,
  viewChangeTimeoutMs: 2000,
  maxViewChangeTimeoutMs: 60_000,
  checkpointInterval: 64,
  watermarkWindow: 256,
  resendIntervalMs: 1000
}

export function threePhaseParams (overrides: Partial<ThreePhaseParams> = {}): ThreePhaseParams {
  const p = { ...DEFAULT_THREE_PHASE_PARAMS, ...overrides }
  checkPositive(p, ['batchSize', 'checkpointInterval', 'watermarkWindow', 'viewChangeTimeoutMs', 'maxViewChangeTimeoutMs', 'resendIntervalMs'])
  checkBatchSize(p.batchSize)
  if (p.watermarkWindow < 2 * p.checkpointInterval || p.watermarkWindow % p.checkpointInterval !== 0) {
    throw new ParamError(`watermarkWindow ${p.watermarkWindow} must be a multiple of checkpointInterval ${p.checkpointInterval} and at least twice it`)
  }
  if (p.maxViewChangeTimeoutMs < p.viewChangeTimeoutMs) throw new ParamError(`viewChangeTimeoutMs ${p.viewChangeTimeoutMs} exceeds maxViewChangeTimeoutMs ${p.maxViewChangeTimeoutMs}`)
  return p
}

/** What a genesis file may set for a three-phase variant, with its defaults. */
export const THREE_PHASE_GENESIS_DEFAULTS = { batchSize: 1000, batchDelayMs: 5, viewChangeTimeoutMs: 2000, checkpointInterval: 100 } as const

/** A genesis file's params: the watermark window spans four checkpoints, and clients already batch. */
export function threePhaseParamsFromGenesis (g: Readonly<Record<string, number>>): ThreePhaseParams {
  return threePhaseParams({
    batchSize: g.batchSize,
    batchDelayMs: g.batchDelayMs,
    relayDelayMs: 1,
    viewChangeTimeoutMs: g.viewChangeTimeoutMs,
    maxViewChangeTimeoutMs: Math.max(DEFAULT_THREE_PHASE_PARAMS.maxViewChangeTimeoutMs, g.viewChangeTimeoutMs),
    checkpointInterval: g.checkpointInterval,
    watermarkWindow: 4 * g.checkpointInterval
  })
}
