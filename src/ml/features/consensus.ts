// Consensus-latency features, shared by training and inference. The HotStuff benchmark data varies the
// protocol, committee size, crashed nodes and input rate; transaction size is fixed (512 B) and no RTT is
// recorded (one geo-distributed AWS setup), so neither is an input: the model could not learn them.
import { NovacronError } from '../../config/errors.ts'

export const CONSENSUS_PROTOCOLS = ['2-chain', '3-chain', 'ditto-async', 'ditto-sync', 'vaba'] as const

export interface ConsensusInput { protocol: string, nodes: number, faults: number, rateTxS: number }

export const CONSENSUS_FEATURES = [...CONSENSUS_PROTOCOLS.map(p => `protocol=${p}`), 'nodes', 'faults', 'faultShare', 'log10Rate']

export function encodeConsensus (c: ConsensusInput): Float32Array {
  return Float32Array.from([...CONSENSUS_PROTOCOLS.map(p => p === c.protocol ? 1 : 0), c.nodes, c.faults, c.faults / c.nodes, Math.log10(c.rateTxS)])
}

export function parseConsensusInput (value: unknown): ConsensusInput {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new NovacronError('usage', 'consensus input must be an object: { "protocol", "nodes", "faults", "rateTxS" }')
  const v = value as Record<string, unknown>
  const extra = Object.keys(v).filter(k => !['protocol', 'nodes', 'faults', 'rateTxS'].includes(k))
  if (extra.length > 0) throw new NovacronError('usage', `consensus input: unknown field(s) ${extra.join(', ')}`)
  if (typeof v.protocol !== 'string' || !(CONSENSUS_PROTOCOLS as readonly string[]).includes(v.protocol)) {
    throw new NovacronError('usage', `consensus input: protocol must be one of ${CONSENSUS_PROTOCOLS.join(', ')} (the protocols the training data measured)`)
  }
  for (const k of ['nodes', 'faults', 'rateTxS']) {
    const x = v[k]
    if (typeof x !== 'number') throw new NovacronError('usage', `consensus input: ${k} must be a number, got ${x === undefined ? 'nothing' : typeof x}`)
    if (!Number.isFinite(x) || x < 0) throw new NovacronError('usage', `consensus input: ${k} must be a finite number >= 0, got ${x}`)
  }
  const c = { protocol: v.protocol, nodes: v.nodes as number, faults: v.faults as number, rateTxS: v.rateTxS as number }
  if (c.nodes < 4 || !Number.isInteger(c.nodes)) throw new NovacronError('usage', 'consensus input: nodes must be an integer >= 4')
  if (!Number.isInteger(c.faults) || 3 * c.faults >= c.nodes) throw new NovacronError('usage', 'consensus input: faults must be an integer with 3 × faults < nodes')
  if (c.rateTxS <= 0) throw new NovacronError('usage', 'consensus input: rateTxS must be > 0')
  return c
}
