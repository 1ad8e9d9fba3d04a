// Tunables of Narwhal/Bullshark, with their validation. Defaults suit a LAN cluster; the simulator passes
// WAN-sized delays.
import { ParamError } from '../core/module.ts'
import { checkBatchSize, checkPositive } from '../core/param-limits.ts'

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
  checkpointInterval: 6,
  resendIntervalMs: 1000,
  maxRoundsAhead: 100,
  parkPerAuthor: 150
}

export function bullsharkParams (overrides: Partial<BullsharkParams> = {}): BullsharkParams {
  const gcDepth = overrides.gcDepth ?? DEFAULT_BULLSHARK_PARAMS.gcDepth
  const maxRoundsAhead = overrides.maxRoundsAhead ?? 2 * gcDepth
  const p = { ...DEFAULT_BULLSHARK_PARAMS, maxRoundsAhead, parkPerAuthor: maxRoundsAhead + gcDepth, ...overrides }
  checkPositive(p, ['batchSize', 'gcDepth', 'checkpointInterval', 'maxHeaderDelayMs', 'resendIntervalMs', 'maxRoundsAhead', 'parkPerAuthor'])
  checkBatchSize(p.batchSize)
  if (p.gcDepth < 4) throw new ParamError(`gcDepth must be at least 4 rounds, got ${p.gcDepth}`)
  // Under load an anchor (every two rounds) commits one sequence number, so checkpoints come every
  // 2 * checkpointInterval rounds; a node far behind rejoins only from a checkpoint newer than what its
  // peers have garbage-collected (gcDepth rounds below their last anchor).
  if (2 * p.checkpointInterval > p.gcDepth) {
    throw new ParamError(`checkpointInterval ${p.checkpointInterval} must be at most gcDepth / 2 (${Math.floor(p.gcDepth / 2)} for gcDepth ${p.gcDepth}), so a certified checkpoint is newer than what peers garbage-collect`)
  }
  if (p.maxRoundsAhead < p.gcDepth) throw new ParamError(`maxRoundsAhead ${p.maxRoundsAhead} must be at least gcDepth (${p.gcDepth}), or a lagging node could not fetch its way back`)
  return p
}

/** What a genesis file may set for Bullshark, with its defaults (snapshots are kept at multiples of the
 *  checkpoint interval, so it is Bullshark's own). */
export const BULLSHARK_GENESIS_DEFAULTS = { batchSize: 500, batchDelayMs: 5, maxHeaderDelayMs: 200, gcDepth: 50, checkpointInterval: 6 } as const
