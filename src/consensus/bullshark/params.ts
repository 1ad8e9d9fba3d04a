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
  /** Highest round accepted above this node's own (its round, its DAG's top, its last anchor): headers
   *  and certificates further ahead are dropped, not parked. Default 2 x gcDepth: a node further behind
   *  than gcDepth catches up by state transfer, not by fetching the DAG. */
  readonly maxRoundsAhead: number
  /** Most headers (and, separately, certificates) of one author parked while their parents or payload
   *  are fetched. Default maxRoundsAhead + gcDepth: one per round of the span an honest author can fill. */
  readonly parkPerAuthor: number
}

export const DEFAULT_BULLSHARK_PARAMS: BullsharkParams = {
  batchSize: 500,
  batchDelayMs: 5,
  maxHeaderDelayMs: 200,
  gcDepth: 50,
  checkpointInterval: 100,
  resendIntervalMs: 1000,
  maxRoundsAhead: 100,
  parkPerAuthor: 150
}

export function bullsharkParams (overrides: Partial<BullsharkParams> = {}): BullsharkParams {
  const gcDepth = overrides.gcDepth ?? DEFAULT_BULLSHARK_PARAMS.gcDepth
  const maxRoundsAhead = overrides.maxRoundsAhead ?? 2 * gcDepth
  const p = { ...DEFAULT_BULLSHARK_PARAMS, maxRoundsAhead, parkPerAuthor: maxRoundsAhead + gcDepth, ...overrides }
  if (p.batchSize < 1) throw new RangeError('batchSize must be at least 1')
  if (p.gcDepth < 4) throw new RangeError('gcDepth must be at least 4 rounds')
  if (p.checkpointInterval < 1) throw new RangeError('checkpointInterval must be at least 1')
  if (p.maxRoundsAhead < p.gcDepth) throw new RangeError('maxRoundsAhead must be at least gcDepth, or a lagging node could not fetch its way back')
  if (p.parkPerAuthor < 1) throw new RangeError('parkPerAuthor must be at least 1')
  if (p.maxHeaderDelayMs <= 0 || p.resendIntervalMs <= 0) throw new RangeError('delays must be positive')
  return p
}
