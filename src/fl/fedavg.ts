// FedAvg (McMahan et al. 2017): the new global model is the sample-weighted mean of the participants'
// models, w = sum(n_k w_k) / sum(n_k). Clients are sampled uniformly and weighted by n_k (not sampled
// by n_k and averaged uniformly). A relay adds its children's partial sums and sends one message up:
// sums in float64, so a tree and a star agree to float reassociation.
import type { Tensor } from './tensors.ts'

export interface ModelUpdate { samples: number, tensors: readonly Tensor[] }

/** sum(n_k w_k) per tensor and sum(n_k): what a relay forwards. */
export interface PartialAggregate { samples: number, sums: Array<{ name: string, dims: number[], data: Float64Array }> }

export function emptyAggregate (): PartialAggregate { return { samples: 0, sums: [] } }

/** Adds one update (or merges another aggregate) into `agg`; shapes must match. */
export function accumulate (agg: PartialAggregate, u: ModelUpdate | PartialAggregate): PartialAggregate {
  if (u.samples <= 0) return agg
  const isPartial = 'sums' in u
  const parts = isPartial ? u.sums : u.tensors
  if (agg.sums.length === 0) agg.sums = parts.map(t => ({ name: t.name, dims: [...t.dims], data: new Float64Array(t.data.length) }))
  if (parts.length !== agg.sums.length) throw new RangeError('fedavg: updates have different tensors')
  parts.forEach((t, i) => {
    const s = agg.sums[i]
    if (t.name !== s.name || t.data.length !== s.data.length) throw new RangeError(`fedavg: tensor ${t.name} does not match ${s.name}`)
    const scale = isPartial ? 1 : u.samples
    for (let k = 0; k < s.data.length; k++) s.data[k] += scale * t.data[k]
  })
  agg.samples += u.samples
  return agg
}

export function finish (agg: PartialAggregate): Tensor[] {
  if (agg.samples <= 0) throw new RangeError('fedavg: no samples')
  return agg.sums.map(s => ({ name: s.name, dims: s.dims, data: Float32Array.from(s.data, v => v / agg.samples) }))
}

export function fedAvg (updates: readonly ModelUpdate[]): Tensor[] {
  const agg = emptyAggregate()
  for (const u of updates) accumulate(agg, u)
  return finish(agg)
}
