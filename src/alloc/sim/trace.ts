// Request streams and hosts from the real traces in shared/data/workloads (see ALLOCATION-AND-FL.md §2):
// Azure 2017 (VM flavours, lifetimes as duration bins, chronological dev/test windows) and Alibaba openb
// 2023 (pods with creation/deletion times, and the production node list with real capacities).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { mulberry32 } from '../../ml/train/random.ts'
import type { Amount } from '../policies.ts'

/** One VM or pod request. cpu is in millicores (the traces' finest unit), memory in MiB. */
export interface TraceRequest {
  /** arrival, seconds from the trace's origin */
  t: number
  cpu: number
  memMiB: number
  /** always 0: the traces have no disk */
  diskGiB: number
  /** lifetime in seconds once placed */
  durationS: number
  /** still running at the trace's right edge (its lifetime is a lower bound) */
  censored: boolean
  /** tenant batch within its 5-minute bin (Azure), for batch thinning; -1 when none */
  batch: number
}

export interface TraceWindow {
  name: string
  start: number
  end: number
  requests: TraceRequest[]
}

export interface TraceHost {
  id: string
  capacity: Amount
}

export const AZURE_DIR = 'workloads/azure-2017-vm-arrivals'
export const OPENB_DIR = 'workloads/alibaba-openb-2023'

/** The chronological windows of the Azure trace: dev (training, 3.5 days) and test (held out, 5.7 days). */
export const AZURE_WINDOWS = {
  dev: { flavours: 'v1.dev.txt', durations: 'v1.dev.c2100000.txt', end: 2_100_000 },
  test: { flavours: 'v1.test.txt', durations: 'v1.test.c2591400.txt', end: 2_591_400 }
} as const

/** Flavour letter → (vCPU, GB) from flav_map.txt ("1,0.75 a"). */
export function parseFlavours (text: string): Map<string, { vcpu: number, gb: number }> {
  const out = new Map<string, { vcpu: number, gb: number }>()
  for (const line of text.split('\n')) {
    const m = /^(\d+),([\d.]+)\s+([a-z])\s*$/.exec(line.trim())
    if (m != null) out.set(m[3], { vcpu: Number(m[1]), gb: Number(m[2]) })
  }
  return out
}

/** Duration bin k → [lo, hi] seconds from v1.interval_map.txt ("seconds bin" per 300 s step): the first
 * and last duration that map to k (a 5-minute bin has lo = hi). */
export function parseIntervals (text: string): Array<[number, number]> {
  const range: Array<[number, number]> = []
  for (const line of text.split('\n')) {
    const [s, b] = line.trim().split(/\s+/).map(Number)
    if (!Number.isFinite(s) || !Number.isFinite(b)) continue
    if (range[b] === undefined) range[b] = [s, s]
    else range[b][1] = s
  }
  return range
}

/** Tokens of one line after its timestamp: flavours or duration codes, with `|` between tenant batches. */
function tokens (line: string): { t: number, items: Array<{ v: string, batch: number }> } | null {
  const sp = line.indexOf(' ')
  if (sp < 0) return null
  const t = Number(line.slice(0, sp))
  const items: Array<{ v: string, batch: number }> = []
  let batch = 0
  for (const tok of line.slice(sp + 1).split(',')) {
    const v = tok.trim()
    if (v === '') continue
    if (v === '|') { batch++; continue }
    items.push({ v, batch })
  }
  return { t, items }
}

/**
 * One Azure window as a request stream. Each bin's arrivals are spread evenly over the 5 minutes it
 * closes; a lifetime is drawn uniformly inside its duration bin with a fixed seed (the same stream for
 * every policy and thinning seed); a censored VM runs to the window's end.
 */
export function loadAzure (dataDir: string, window: keyof typeof AZURE_WINDOWS, durationSeed = 1): TraceWindow {
  const dir = join(dataDir, AZURE_DIR)
  const w = AZURE_WINDOWS[window]
  const flavours = parseFlavours(readFileSync(join(dir, 'flav_map.txt'), 'utf8'))
  const bins = parseIntervals(readFileSync(join(dir, 'v1.interval_map.txt'), 'utf8'))
  const fl = readFileSync(join(dir, w.flavours), 'utf8').split('\n').filter((l) => l.trim() !== '')
  const du = readFileSync(join(dir, w.durations), 'utf8').split('\n').filter((l) => l.trim() !== '')
  if (fl.length !== du.length) throw new Error(`azure ${window}: ${fl.length} flavour lines but ${du.length} duration lines`)
  const rand = mulberry32(durationSeed)
  const requests: TraceRequest[] = []
  let start = Infinity
  let batchBase = 0
  for (let i = 0; i < fl.length; i++) {
    const a = tokens(fl[i])
    const d = tokens(du[i])
    if (a == null || d == null || a.t !== d.t || a.items.length !== d.items.length) throw new Error(`azure ${window} line ${i + 1}: flavour and duration tokens do not match`)
    start = Math.min(start, a.t - 300)
    let maxBatch = 0
    a.items.forEach((item, j) => {
      const f = flavours.get(item.v)
      if (f === undefined) throw new Error(`azure ${window} line ${i + 1}: unknown flavour ${item.v}`)
      const code = d.items[j].v
      const censored = code[0] === 'C'
      const bin = bins[Number(code.slice(1))]
      if ((code[0] !== 'U' && !censored) || bin === undefined) throw new Error(`azure ${window} line ${i + 1}: bad duration ${code}`)
      const t = a.t - 300 + (300 * (j + 0.5)) / a.items.length
      // the trace samples every 5 minutes: a one-value bin d means a lifetime in [d, d + 300)
      const drawn = Math.max(1, Math.round(bin[0] + rand() * (bin[1] > bin[0] ? bin[1] - bin[0] : 300)))
      requests.push({ t, cpu: f.vcpu * 1000, memMiB: Math.round(f.gb * 1024), diskGiB: 0, durationS: censored ? Math.max(1, w.end - t) : drawn, censored, batch: batchBase + item.batch })
      maxBatch = Math.max(maxBatch, item.batch)
    })
    batchBase += maxBatch + 1
  }
  return { name: `azure-${window}`, start, end: w.end, requests }
}

/** Azure has no host list: the note's assumption, 32 vCPU / 64 GiB hosts, so both dimensions bind. */
export function azureHosts (n = 16): TraceHost[] {
  return Array.from({ length: n }, (_, i) => ({ id: `h${String(i).padStart(2, '0')}`, capacity: { cpu: 32_000, memMiB: 65_536, diskGiB: 0 } }))
}

function csvRows (text: string): Array<Record<string, string>> {
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  const head = lines[0].split(',')
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])))
}

export const OPENB_TRACE_END = 12_902_960
const DAY = 86_400
/** openb's chronological split (ALLOCATION-AND-FL.md §1.5): train days 115–139, test days 140–149. */
export const OPENB_WINDOWS = { train: { start: 115 * DAY, end: 140 * DAY }, test: { start: 140 * DAY, end: 150 * DAY } } as const

/** openb pods (GPUs ignored: cpu and memory only) inside one window; a pod never deleted runs to the end. */
export function loadOpenb (dataDir: string, window: keyof typeof OPENB_WINDOWS): TraceWindow {
  const rows = csvRows(readFileSync(join(dataDir, OPENB_DIR, 'openb_pod_list_default.csv'), 'utf8'))
  const w = OPENB_WINDOWS[window]
  const requests: TraceRequest[] = []
  for (const r of rows) {
    const t = Number(r.creation_time)
    if (!(t >= w.start && t < w.end)) continue
    const del = Number(r.deletion_time)
    const censored = !Number.isFinite(del) || del >= OPENB_TRACE_END
    requests.push({ t, cpu: Number(r.cpu_milli), memMiB: Number(r.memory_mib), diskGiB: 0, durationS: Math.max(1, (censored ? OPENB_TRACE_END : del) - t), censored, batch: -1 })
  }
  requests.sort((a, b) => a.t - b.t)
  return { name: `openb-${window}`, start: w.start, end: w.end, requests }
}

export function loadOpenbNodes (dataDir: string): TraceHost[] {
  return csvRows(readFileSync(join(dataDir, OPENB_DIR, 'openb_node_list_all_node.csv'), 'utf8'))
    .map((r) => ({ id: r.sn, capacity: { cpu: Number(r.cpu_milli), memMiB: Number(r.memory_mib), diskGiB: 0 } }))
}

/**
 * Hosts drawn from the production node list, stratified by shape (each (cpu, mem) shape in proportion
 * to its count, largest remainders first), so a small simulated cluster keeps the real mix.
 */
export function openbHosts (nodes: readonly TraceHost[], n: number): TraceHost[] {
  const shapes = new Map<string, TraceHost[]>()
  for (const h of nodes) {
    const k = `${h.capacity.cpu}/${h.capacity.memMiB}`
    shapes.set(k, [...(shapes.get(k) ?? []), h])
  }
  const quota = [...shapes.values()].map((hs) => ({ hs, exact: (hs.length * n) / nodes.length }))
  const take = quota.map((q) => Math.floor(q.exact))
  const order = quota.map((q, i) => ({ i, rem: q.exact - take[i], size: q.hs.length })).sort((a, b) => b.rem - a.rem || b.size - a.size)
  const short = n - take.reduce((s, x) => s + x, 0)
  for (let k = 0; k < short; k++) take[order[k].i]++
  return quota.flatMap((q, i) => q.hs.slice(0, take[i])).sort((a, b) => (a.id < b.id ? -1 : 1))
}

/** The data root for the loaders, given it or its workloads/ folder (what `models train --data` passes). */
export function dataRoot (dir: string): string {
  if (existsSync(join(dir, AZURE_DIR))) return dir
  if (existsSync(join(dir, '..', AZURE_DIR))) return join(dir, '..')
  return dir
}

/** The shared data dir when present (../shared/data from the repo root, or NOVACRON_DATA). */
export function findDataDir (): string | null {
  for (const d of [process.env.NOVACRON_DATA, join(process.cwd(), '..', 'shared', 'data'), join(process.cwd(), 'shared', 'data')]) {
    if (d != null && existsSync(join(d, AZURE_DIR))) return d
  }
  return null
}
