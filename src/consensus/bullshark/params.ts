// Tunables of Narwhal/Bullshark. Defaults suit a LAN cluster; the simulator passes WAN-sized delays.

export interface BullsharkParams {
  /** Most transactions per worker batch. */
  readonly batchSize: number
  /** How long a partial batch waits to fill before it is sealed and disseminated. */
  readonly batchDelayMs: number
  /** Longest a node waits in a round (for the anchor, its votes, or work) before it proposes anyway. */
  readonly maxHeaderDelayMs: number
  /** Rounds kept below the last committed anchor; everything older is garbage-collected. */
  readonly gcDepth: number
  /** A checkpoint (for state transfer) every this many committed sequence numbers. */
  readonly checkpointInterval: number
  /** Period of retransmission and re-fetching while something is missing. */
  readonly resendIntervalMs: number
}

export const DEFAULT_BULLSHARK_PARAMS: BullsharkParams = {
  batchSize: 500,
  batchDelayMs: 5,
  maxHeaderDelayMs: 200,
  gcDepth: 50,
  checkpointInterval: 100,
  resendIntervalMs: 1000
}

export function bullsharkParams (overrides: Partial<BullsharkParams> = {}): BullsharkParams {
  const p = { ...DEFAULT_BULLSHARK_PARAMS, ...overrides }
  if (p.batchSize < 1) throw new RangeError('batchSize must be at least 1')
  if (p.gcDepth < 4) throw new RangeError('gcDepth must be at least 4 rounds')
  if (p.checkpointInterval < 1) throw new RangeError('checkpointInterval must be at least 1')
  if (p.maxHeaderDelayMs <= 0 || p.resendIntervalMs <= 0) throw new RangeError('delays must be positive')
  return p
}
