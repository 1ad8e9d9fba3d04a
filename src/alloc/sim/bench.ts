// `novacron bench --placement`: every policy on the same held-out window, at offered loads set from the
// arrival stream, on the same thinned streams (paired seeds); reports each metric's mean and the 95%
// confidence interval of the paired difference against best-fit (t over the seeds).
import { biddingPolicy, HEURISTICS, randomPolicy, type Bidder, type Policy } from '../policies.ts'
import { mulberry32 } from '../../ml/train/random.ts'
import { simulate, streamAtLoad, type SimMetrics } from './sim.ts'
import { azureHosts, findDataDir, loadAzure, loadOpenb, loadOpenbNodes, openbHosts, type TraceHost, type TraceWindow } from './trace.ts'

export const BENCH_POLICIES = [...Object.keys(HEURISTICS), 'random', 'maddpg'] as const
export type Trace = 'azure' | 'openb'

export interface Interval { mean: number, lo: number, hi: number }

export interface PlacementRow {
  load: number
  policy: string
  /** the realised offered load of the thinned streams (mean over seeds) */
  offered: number
  missedVcpuHPct: number
  missedPct: number
  cpuAlloc: number
  memAlloc: number
  fragmentation: number
  /** paired difference against best-fit (this policy minus best-fit), percentage points */
  vsBestFit: { missedVcpuHPct: Interval, missedPct: Interval } | null
  /** paired difference against random, percentage points */
  vsRandom: { missedVcpuHPct: Interval } | null
  decisionUs: { p50: number, p99: number }
}

export interface PlacementBench {
  trace: string
  window: string
  hosts: number
  hostShapes: string[]
  loads: number[]
  seeds: number
  waitS: number
  primary: 'missedVcpuHPct'
  rows: PlacementRow[]
  /** utilisation over time at the middle load, first seed, per policy (for the model card's plot) */
  series: Record<string, SimMetrics['series']>
}

// two-sided 95% quantiles of Student's t for 1..30 degrees of freedom
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042]

/** Mean and 95% t interval of paired differences. */
export function pairedInterval (a: readonly number[], b: readonly number[]): Interval {
  const d = a.map((x, i) => x - b[i])
  const n = d.length
  const mean = d.reduce((s, x) => s + x, 0) / n
  if (n < 2) return { mean: r3(mean), lo: -Infinity, hi: Infinity }
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1))
  const half = (T975[Math.min(n - 1, 30) - 1] ?? 1.96) * sd / Math.sqrt(n)
  return { mean: r3(mean), lo: r3(mean - half), hi: r3(mean + half) }
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)

function pctl (xs: number[], q: number): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return r3(s[Math.min(s.length - 1, Math.floor(q * s.length))])
}

export interface PlacementBenchOptions {
  trace: Trace
  policies: string[]
  loads?: number[]
  seeds?: number
  dataDir?: string
  waitS?: number
  /** the learned bidder, when `maddpg` is among the policies */
  maddpg?: Bidder | null
  progress?: (line: string) => void
}

export function benchSetup (trace: Trace, dataDir: string, window: 'train' | 'test'): { window: TraceWindow, hosts: TraceHost[] } {
  if (trace === 'azure') return { window: loadAzure(dataDir, window === 'train' ? 'dev' : 'test'), hosts: azureHosts(16) }
  return { window: loadOpenb(dataDir, window), hosts: openbHosts(loadOpenbNodes(dataDir), 8) }
}

export function runPlacementBench (o: PlacementBenchOptions): PlacementBench {
  const dataDir = o.dataDir ?? findDataDir()
  if (dataDir == null) throw new Error('the traces are not here: set NOVACRON_DATA to the shared data dir (with workloads/)')
  const { window, hosts } = benchSetup(o.trace, dataDir, 'test')
  const loads = o.loads ?? [0.7, 0.9, 1.1]
  const seeds = o.seeds ?? 5
  const waitS = o.waitS ?? 300
  const names = [...new Set(['best-fit', 'random', ...o.policies])]
  const policyFor = (name: string, seed: number): Policy | null => {
    if (name === 'random') return randomPolicy(mulberry32(1000 + seed))
    if (name === 'maddpg') return o.maddpg == null ? null : biddingPolicy('maddpg', o.maddpg)
    return HEURISTICS[name as keyof typeof HEURISTICS] ?? null
  }
  const rows: PlacementRow[] = []
  const series: PlacementBench['series'] = {}
  for (const load of loads) {
    const per = new Map<string, SimMetrics[]>()
    const us = new Map<string, number[]>()
    const offered: number[] = []
    for (let seed = 1; seed <= seeds; seed++) {
      const stream = streamAtLoad(window, hosts, load, seed)
      offered.push(stream.offered)
      for (const name of names) {
        const p = policyFor(name, seed)
        if (p == null) continue
        const r = simulate(p, hosts, window, stream.requests, { waitS })
        per.set(name, [...(per.get(name) ?? []), r.metrics])
        const u = us.get(name) ?? []
        for (let i = 0; i < r.decisionUs.length; i += 4) u.push(r.decisionUs[i])
        us.set(name, u)
        if (seed === 1 && load === loads[Math.floor(loads.length / 2)]) series[name] = r.metrics.series
      }
      o.progress?.(`load ${load}: seed ${seed}/${seeds}`)
    }
    const bf = per.get('best-fit')!
    const rnd = per.get('random')!
    for (const name of names) {
      const m = per.get(name)
      if (m === undefined) continue
      const field = (k: keyof SimMetrics): number[] => m.map((x) => x[k] as number)
      rows.push({
        load,
        policy: name,
        offered: r3(mean(offered)),
        missedVcpuHPct: r3(mean(field('missedVcpuHPct'))),
        missedPct: r3(mean(field('missedPct'))),
        cpuAlloc: r3(mean(field('cpuAlloc'))),
        memAlloc: r3(mean(field('memAlloc'))),
        fragmentation: r3(mean(field('fragmentation'))),
        vsBestFit: name === 'best-fit' ? null : { missedVcpuHPct: pairedInterval(field('missedVcpuHPct'), bf.map((x) => x.missedVcpuHPct)), missedPct: pairedInterval(field('missedPct'), bf.map((x) => x.missedPct)) },
        vsRandom: name === 'random' ? null : { missedVcpuHPct: pairedInterval(field('missedVcpuHPct'), rnd.map((x) => x.missedVcpuHPct)) },
        decisionUs: { p50: pctl(us.get(name) ?? [], 0.5), p99: pctl(us.get(name) ?? [], 0.99) }
      })
    }
  }
  return {
    trace: o.trace,
    window: window.name,
    hosts: hosts.length,
    hostShapes: [...new Set(hosts.map((h) => `${h.capacity.cpu / 1000} vCPU / ${Math.round(h.capacity.memMiB / 1024)} GiB`))],
    loads,
    seeds,
    waitS,
    primary: 'missedVcpuHPct',
    rows,
    series
  }
}

const ci = (i: Interval | undefined): string => i === undefined ? '-' : `${i.mean >= 0 ? '+' : ''}${i.mean.toFixed(2)} [${i.lo.toFixed(2)}, ${i.hi.toFixed(2)}]`

export function placementTable (b: PlacementBench): string {
  const head = `${b.window}, ${b.hosts} hosts (${b.hostShapes.join(', ')}), ${b.seeds} paired seeds, wait ${b.waitS} s; differences are this policy minus best-fit (95% CI), in points\n` +
    'load  offered  policy               missed vCPU-h %   vs best-fit             missed %   vs best-fit             cpu alloc  mem alloc  frag   p99 us'
  const rows = b.rows.map((r) => [
    r.load.toFixed(1).padEnd(5), r.offered.toFixed(2).padStart(7), ' ' + r.policy.padEnd(20), r.missedVcpuHPct.toFixed(2).padStart(15),
    '   ' + ci(r.vsBestFit?.missedVcpuHPct).padEnd(22), r.missedPct.toFixed(2).padStart(9), '   ' + ci(r.vsBestFit?.missedPct).padEnd(22),
    r.cpuAlloc.toFixed(3).padStart(9), r.memAlloc.toFixed(3).padStart(10), r.fragmentation.toFixed(3).padStart(6), r.decisionUs.p99.toFixed(1).padStart(8)
  ].join(''))
  const short = [...new Set(b.rows.filter((r) => r.offered < 0.9 * r.load).map((r) => r.load))]
  const note = short.length === 0 ? [] : [`note: at load ${short.join(', ')} the window cannot offer that much on these hosts even with every request kept (offered is what it does offer; the seeds then replay the same stream)`]
  return [head, ...rows, ...note].join('\n')
}
