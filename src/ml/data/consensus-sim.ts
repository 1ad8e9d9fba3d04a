// The consensus-latency data set from NovaCron's own protocols: the simulator run over a grid of
// configurations (every registered protocol × n, batch size, payload, load, link latency scale, jitter,
// loss, adversary), cut into intervals. Each row holds what a running node can observe at the end of one
// interval (its configuration, ping RTTs to peers, the loss it sees, the commit latencies it just measured)
// and what the model predicts: the commit latencies of the next interval. Rows are JSON lines; devnet
// rows (`source: "devnet"`) have the same shape and come from `novacron bench` runs.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../../config/errors.ts'
import { availableProtocols, protocolModule } from '../../consensus/registry.ts'
import { Prng } from '../../consensus/sim/prng.ts'
import type { Scenario } from '../../consensus/sim/scenario.ts'
import { runScenario } from '../../consensus/sim/simulation.ts'

export interface LatencyConfig {
  protocol: string
  n: number
  batchSize: number
  txBytes: number
  rateTxS: number
  latencyScale: number
  spikeChance: number
  spikeMeanMs: number
  loss: number
  bytesPerMs: number
  adversary: string
}

/** One interval of one run: its configuration (less the link rate), what was measured, and what came next. */
export interface LatencyRow extends Omit<LatencyConfig, 'bytesPerMs'> {
  /** 'sim' or 'devnet': how the row was measured. */
  source: string
  /** One configuration (every seed and interval of it): the unit the held-out split keeps together. */
  config: string
  seed: number
  interval: number
  rttP50Ms: number
  rttP90Ms: number
  /** The interval just ended, as the node measured it (submission to its own apply). */
  lastP50Ms: number
  lastP99Ms: number
  /** EWMA of the per-interval p99 up to and including the last interval. */
  ewmaP99Ms: number
  lastCount: number
  /** The interval to predict. */
  nextP50Ms: number
  nextP99Ms: number
  nextCount: number
}

/** The grid's axes; `sampleGrid` draws configurations from their product. */
export const LATENCY_GRID = {
  n: [4, 7, 10],
  batchSize: [4, 16, 64],
  txBytes: [64, 1024, 8192],
  rateTxS: [10, 30, 60],
  latencyScale: [0.3, 1, 2],
  jitter: [[0, 0], [0.02, 300], [0.05, 800]] as Array<[number, number]>,
  loss: [0, 0.02],
  bytesPerMs: [1250, 12_500],
  adversary: ['none', 'silent', 'delay']
} as const

/** Length of one interval and of the load a run submits. */
export const INTERVAL_MS = 2000
export const SUBMIT_MS = 8000
export const EWMA_ALPHA = 0.5

export function configId (c: LatencyConfig): string {
  return `${c.protocol}/n${c.n}/b${c.batchSize}/p${c.txBytes}/r${c.rateTxS}/s${c.latencyScale}/j${c.spikeChance}x${c.spikeMeanMs}/l${c.loss}/bw${c.bytesPerMs}/${c.adversary}`
}

/** `perProtocol` distinct configurations per registered protocol, drawn from the grid with `seed`. */
export function sampleGrid (perProtocol: number, seed = 1, protocols = availableProtocols()): LatencyConfig[] {
  const rng = new Prng(seed)
  const out: LatencyConfig[] = []
  for (const protocol of protocols) {
    const seen = new Set<string>()
    const adversaries = LATENCY_GRID.adversary.filter(a => protocolModule(protocol).sim.adversaries.includes(a))
    for (let tries = 0; seen.size < perProtocol && tries < perProtocol * 20; tries++) {
      const [spikeChance, spikeMeanMs] = rng.pick(LATENCY_GRID.jitter)
      const c: LatencyConfig = {
        protocol,
        n: rng.pick(LATENCY_GRID.n),
        batchSize: rng.pick(LATENCY_GRID.batchSize),
        txBytes: rng.pick(LATENCY_GRID.txBytes),
        rateTxS: rng.pick(LATENCY_GRID.rateTxS),
        latencyScale: rng.pick(LATENCY_GRID.latencyScale),
        spikeChance,
        spikeMeanMs,
        loss: rng.pick(LATENCY_GRID.loss),
        bytesPerMs: rng.pick(LATENCY_GRID.bytesPerMs),
        adversary: rng.pick(adversaries)
      }
      const id = configId(c)
      if (seen.has(id)) continue
      seen.add(id)
      out.push(c)
    }
  }
  return out
}

/** The simulator scenario of one configuration and seed: steady load for SUBMIT_MS, f faulty nodes (the first primary among them on odd seeds). */
export function latencyScenario (c: LatencyConfig, seed: number): Scenario {
  const sim = protocolModule(c.protocol).sim
  const f = Math.floor((c.n - 1) / 3)
  const byzantine = c.adversary === 'none' ? [] : Array.from({ length: f }, (_, i) => seed % 2 === 1 ? i : c.n - 1 - i).sort((a, b) => a - b)
  const stabilizeAtMs = SUBMIT_MS + 500
  return {
    protocol: c.protocol,
    seed,
    n: c.n,
    adversary: c.adversary,
    byzantine,
    realSignatures: false,
    txs: Math.round(c.rateTxS * SUBMIT_MS / 1000),
    submitUntilMs: SUBMIT_MS,
    clientRetryMs: 4000,
    loss: c.loss,
    duplicate: 0,
    reorder: 0,
    partitions: [],
    crashes: [],
    stabilizeAtMs,
    livenessBoundMs: 60_000,
    maxTimeMs: stabilizeAtMs + 60_000,
    params: { ...sim.params, batchSize: c.batchSize },
    links: { latencyScale: c.latencyScale, spikeChance: c.spikeChance, spikeMeanMs: c.spikeMeanMs, bytesPerMs: c.bytesPerMs },
    txBytes: c.txBytes
  }
}

export const quantile = (sorted: readonly number[], q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

/** Per-interval latencies (by submission time) to rows: features from interval i - 1, targets from interval i. */
export function intervalRows (base: Omit<LatencyRow, 'interval' | 'lastP50Ms' | 'lastP99Ms' | 'ewmaP99Ms' | 'lastCount' | 'nextP50Ms' | 'nextP99Ms' | 'nextCount'>, intervals: number[][], minCount = 3): LatencyRow[] {
  const stats = intervals.map(l => {
    const s = [...l].sort((a, b) => a - b)
    return { count: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99) }
  })
  const rows: LatencyRow[] = []
  for (let i = 1; i < stats.length; i++) {
    const last = stats[i - 1]
    const next = stats[i]
    if (last.count < minCount || next.count < minCount) continue
    rows.push({
      ...base,
      interval: i,
      lastP50Ms: r1(last.p50),
      lastP99Ms: r1(last.p99),
      ewmaP99Ms: r1(ewmaBefore(stats, i, minCount)),
      lastCount: last.count,
      nextP50Ms: r1(next.p50),
      nextP99Ms: r1(next.p99),
      nextCount: next.count
    })
  }
  return rows
}

function ewmaBefore (stats: Array<{ count: number, p99: number }>, i: number, minCount: number): number {
  let e = NaN
  for (let k = 0; k < i; k++) if (stats[k].count >= minCount) e = Number.isNaN(e) ? stats[k].p99 : EWMA_ALPHA * stats[k].p99 + (1 - EWMA_ALPHA) * e
  return e
}

const r1 = (x: number): number => Math.round(x * 10) / 10

/** Runs one configuration and seed in the simulator and returns its interval rows. */
export function simulateRows (c: LatencyConfig, seed: number, pingsCsv: string | null): LatencyRow[] {
  const scenario = latencyScenario(c, seed)
  const honest = (i: number): boolean => !scenario.byzantine.includes(i)
  const submittedAt = new Map<string, number>()
  const intervals: number[][] = Array.from({ length: Math.ceil(SUBMIT_MS / INTERVAL_MS) }, () => [])
  const result = runScenario(scenario, {
    pingsCsv,
    observer: {
      submitted: (node, key, now) => { if (honest(node) && !submittedAt.has(`${node}/${key}`)) submittedAt.set(`${node}/${key}`, now) },
      applied: (node, keys, now) => {
        for (const k of keys) {
          const t = submittedAt.get(`${node}/${k}`)
          if (t === undefined) continue
          submittedAt.delete(`${node}/${k}`)
          intervals[Math.min(intervals.length - 1, Math.floor(t / INTERVAL_MS))].push(now - t)
        }
      }
    }
  })
  if (result.violations.length > 0) throw new Error(`${configId(c)} seed ${seed}: ${result.violations[0]}`)
  const { bytesPerMs: _bw, ...rest } = c
  return intervalRows({ source: 'sim', config: configId(c), ...rest, seed, rttP50Ms: result.stats.rttMs.p50, rttP90Ms: result.stats.rttMs.p90 }, intervals)
}

/** Every `*.jsonl` file of a directory (or one file), parsed and checked. */
export function readLatencyRows (path: string): LatencyRow[] {
  let files: string[]
  try {
    files = path.endsWith('.jsonl') ? [path] : readdirSync(path).filter(f => f.endsWith('.jsonl')).sort().map(f => join(path, f))
  } catch {
    throw new NovacronError('usage', `${path} is not a readable directory of consensus-latency rows (*.jsonl)`)
  }
  const rows: LatencyRow[] = []
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n')
    lines.forEach((line, i) => {
      if (line.trim() === '') return
      let r: LatencyRow
      try { r = JSON.parse(line) as LatencyRow } catch { throw new NovacronError('usage', `${file}:${i + 1}: not JSON`) }
      for (const k of ['n', 'batchSize', 'txBytes', 'rateTxS', 'rttP50Ms', 'rttP90Ms', 'lastP50Ms', 'lastP99Ms', 'ewmaP99Ms', 'nextP99Ms'] as const) {
        if (typeof r[k] !== 'number' || !Number.isFinite(r[k]) || r[k] < 0) throw new NovacronError('usage', `${file}:${i + 1}: ${k} must be a finite number >= 0`)
      }
      if (typeof r.protocol !== 'string' || typeof r.config !== 'string' || typeof r.source !== 'string') throw new NovacronError('usage', `${file}:${i + 1}: protocol, config and source must be strings`)
      if (r.nextP99Ms > 0 && r.ewmaP99Ms > 0) rows.push(r)
    })
  }
  if (rows.length === 0) throw new NovacronError('usage', `no consensus-latency rows in ${path}`)
  return rows
}
