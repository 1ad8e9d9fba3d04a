// Tunables of PBFT. Defaults suit a LAN cluster; the simulator passes WAN-sized timeouts.

export interface PbftParams {
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

export const DEFAULT_PBFT_PARAMS: PbftParams = {
  batchSize: 256,
  batchDelayMs: 5,
  viewChangeTimeoutMs: 2000,
  maxViewChangeTimeoutMs: 60_000,
  checkpointInterval: 64,
  watermarkWindow: 256,
  resendIntervalMs: 1000
}

export function pbftParams (overrides: Partial<PbftParams> = {}): PbftParams {
  const p = { ...DEFAULT_PBFT_PARAMS, ...overrides }
  if (p.batchSize < 1) throw new RangeError('batchSize must be at least 1')
  if (p.checkpointInterval < 1) throw new RangeError('checkpointInterval must be at least 1')
  if (p.watermarkWindow < 2 * p.checkpointInterval || p.watermarkWindow % p.checkpointInterval !== 0) {
    throw new RangeError('watermarkWindow must be a multiple of checkpointInterval and at least twice it')
  }
  if (p.viewChangeTimeoutMs <= 0 || p.resendIntervalMs <= 0) throw new RangeError('timeouts must be positive')
  return p
}
