// `models predict|eval|train bandwidth`.
import { NovacronError } from '../../config/errors.ts'
import type { ModelTask } from '../catalog.ts'
import { readTraces } from '../data/bandwidth.ts'
import { HISTORY, decodeForecast, encodeHistory, parseBandwidthInput } from '../features/bandwidth.ts'
import type { ModelRegistry } from '../registry.ts'
import { bandwidthBySource, evaluateBandwidth, windows } from './bandwidth.ts'

const BATCH = 4096

/** The model's forecasts for several links' histories (Mbit/s, oldest sample first), in Mbit/s. */
export async function forecastBandwidth (registry: ModelRegistry, histories: number[][]): Promise<{ mbps: number[], mbpsMedian: number[] }> {
  const out = { mbps: [] as number[], mbpsMedian: [] as number[] }
  for (let i = 0; i < histories.length; i += BATCH) {
    const part = histories.slice(i, i + BATCH)
    const data = new Float32Array(part.length * HISTORY)
    part.forEach((h, j) => data.set(encodeHistory(h), j * HISTORY))
    const res = await registry.run('bandwidth', { history: { data, dims: [part.length, HISTORY, 1] } })
    const median = res.mbpsMedian ?? res.mbps
    part.forEach((h, j) => {
      out.mbps.push(decodeForecast(res.mbps.data[j], h))
      out.mbpsMedian.push(decodeForecast(median.data[j], h))
    })
  }
  return out
}

export const bandwidthTask: ModelTask = {
  name: 'bandwidth',
  dataSet: 'bandwidth',
  describe: 'next-interval throughput (Mbit/s) from the last 10 samples of a link',
  async predict (registry, input) {
    const many = Array.isArray(input)
    const items = (many ? input : [input]).map(parseBandwidthInput)
    if (items.length === 0) throw new NovacronError('usage', 'bandwidth input: empty batch')
    const f = await forecastBandwidth(registry, items)
    const results = f.mbps.map((v, i) => ({ mbps: v, mbpsMedian: f.mbpsMedian[i] }))
    return many ? results : results[0]
  },
  async evaluate (registry, dataDir) {
    const entry = registry.entry('bandwidth')
    const p = entry.baselineParams as { ewmaAlpha: number, trainTraceIds: string[] } | undefined
    if (p == null) throw new NovacronError('failure', 'bandwidth: the manifest lacks the baseline parameters')
    const seen = new Set(p.trainTraceIds)
    const traces = readTraces(dataDir)
    // Traces the model trained on are left out, wherever they are found.
    const held = traces.filter(t => !seen.has(t.id))
    if (held.length === 0) throw new NovacronError('usage', `no traces in ${dataDir} that the model did not train on`)
    const w = windows(held)
    const ev = evaluateBandwidth(w, held.length, (await forecastBandwidth(registry, w.history)).mbps, p.ewmaAlpha)
    return {
      model: 'bandwidth',
      data: dataDir,
      samples: ev.samples,
      scope: `${held.length} traces the model did not train on (${traces.length - held.length} training traces left out)`,
      metrics: { model: { ...ev.metrics.model }, baselines: Object.fromEntries(Object.entries(ev.metrics.baselines).map(([k, v]) => [k, { ...v }])) }
    }
  },
  async evaluateBySource (dataDir, opts) {
    return await bandwidthBySource(readTraces(dataDir), dataDir, opts)
  },
  async train (req) {
    const { trainBandwidth } = await import('../train/bandwidth.ts')
    return await trainBandwidth(req)
  }
}
