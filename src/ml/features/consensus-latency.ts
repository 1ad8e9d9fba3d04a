// Features of the consensus-latency model, shared by training, the node's adaptive timeout and the
// timeout bench. Everything here is observable by a running node: its cluster's protocol and size, the
// batch size from genesis, the payload and load it sees, ping RTTs to its peers, the loss it sees, and the
// commit latencies it measured over the last interval. The model predicts the next interval's p99 commit
// latency as a ratio to the EWMA of past p99s (so it carries across scales), exported with Exp.
import { NovacronError } from '../../config/errors.ts'
import { availableProtocols } from '../../consensus/registry.ts'

export const LATENCY_PROTOCOLS: readonly string[] = availableProtocols()

/** One-way message delays on a commit's critical path (client relay included), for the linear baseline:
 *  PBFT relay, pre-prepare, prepare, commit; Bullshark about two rounds of header, vote and certificate. */
export const MESSAGE_DELAYS: Readonly<Record<string, number>> = { pbft: 4, bullshark: 6 }
export const messageDelays = (protocol: string): number => MESSAGE_DELAYS[protocol] ?? 4

export interface LatencyObservation {
  protocol: string
  n: number
  batchSize: number
  txBytes: number
  rateTxS: number
  rttP50Ms: number
  rttP90Ms: number
  loss: number
  lastP50Ms: number
  lastP99Ms: number
  ewmaP99Ms: number
}

export const LATENCY_FEATURES = [
  ...LATENCY_PROTOCOLS.map(p => `protocol=${p}`), 'n', 'log2BatchSize', 'log2TxBytes', 'log10Rate', 'rttP50Ms', 'rttP90Ms', 'rttTimesDelaysMs', 'loss',
  'logLastP50', 'logLastP99', 'logEwmaP99', 'logLastP99OverEwma', 'logRttDelaysOverEwma'
]

const ln = (x: number): number => Math.log(Math.max(x, 0.1))

export function encodeLatency (o: LatencyObservation): Float32Array {
  const rttDelays = o.rttP90Ms * messageDelays(o.protocol)
  return Float32Array.from([
    ...LATENCY_PROTOCOLS.map(p => p === o.protocol ? 1 : 0), o.n, Math.log2(Math.max(1, o.batchSize)), Math.log2(Math.max(1, o.txBytes)), Math.log10(Math.max(0.1, o.rateTxS)),
    o.rttP50Ms, o.rttP90Ms, rttDelays, o.loss,
    ln(o.lastP50Ms), ln(o.lastP99Ms), ln(o.ewmaP99Ms), ln(o.lastP99Ms) - ln(o.ewmaP99Ms), ln(rttDelays) - ln(o.ewmaP99Ms)
  ])
}

/** The model's output (a ratio to the EWMA) as milliseconds. */
export const decodeLatency = (ratio: number, o: Pick<LatencyObservation, 'ewmaP99Ms'>): number => ratio * o.ewmaP99Ms

const FIELDS = ['protocol', 'n', 'batchSize', 'txBytes', 'rateTxS', 'rttP50Ms', 'rttP90Ms', 'loss', 'lastP50Ms', 'lastP99Ms', 'ewmaP99Ms'] as const

export function parseLatencyObservation (value: unknown): LatencyObservation {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new NovacronError('usage', `consensus-latency input must be an object: { ${FIELDS.map(f => `"${f}"`).join(', ')} }`)
  const v = value as Record<string, unknown>
  const extra = Object.keys(v).filter(k => !(FIELDS as readonly string[]).includes(k))
  if (extra.length > 0) throw new NovacronError('usage', `consensus-latency input: unknown field(s) ${extra.join(', ')}`)
  if (typeof v.protocol !== 'string' || !LATENCY_PROTOCOLS.includes(v.protocol)) throw new NovacronError('usage', `consensus-latency input: protocol must be one of ${LATENCY_PROTOCOLS.join(', ')}`)
  for (const k of FIELDS.slice(1)) {
    const x = v[k]
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new NovacronError('usage', `consensus-latency input: ${k} must be a finite number >= 0, got ${JSON.stringify(x ?? null)}`)
  }
  if (!Number.isInteger(v.n) || (v.n as number) < 1 || (v.n as number) > 1000) throw new NovacronError('usage', 'consensus-latency input: n must be an integer in 1..1000')
  if ((v.loss as number) > 1) throw new NovacronError('usage', 'consensus-latency input: loss is a share in 0..1')
  if ((v.ewmaP99Ms as number) <= 0) throw new NovacronError('usage', 'consensus-latency input: ewmaP99Ms must be > 0 (the model predicts relative to it)')
  return v as unknown as LatencyObservation
}
