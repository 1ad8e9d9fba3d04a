// The simulator's clients and held-out set from ../shared/data/bandwidth: one network type per client
// (HSDPA, FCC broadband, Oboe, Puffer, 5Gophers), so the data are non-IID by source (feature and scale
// skew). Traces are split by a hash of their content: no trace is both trained on and held out, and the
// trace -> client assignment is the same on every run.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { readTraces, type Trace } from '../ml/data/bandwidth.ts'
import { encodeMbps } from '../ml/features/bandwidth.ts'
import { tracePart, windows } from '../ml/tasks/bandwidth.ts'
import { hashString } from '../ml/train/random.ts'

export const SOURCES = ['norway-hsdpa', 'fcc', 'oboe', 'puffer-2022', '5gophers'] as const
export type Source = typeof SOURCES[number]

export function readSource (root: string, source: Source): Trace[] {
  const dir = join(root, source)
  if (!existsSync(dir)) return []
  // src/ml's reader takes every source format, 5Gophers' throughput CSVs included.
  return readTraces(dir)
}

export interface ClientData {
  id: string
  source: Source
  x: Float32Array[]
  /** Encoded targets (ln(Mbit/s + 0.1)). */
  y: number[]
  /** The client's own link, from its first trace: throughput per round, Mbit/s. */
  linkTrace: number[]
}

export interface HeldOut { source: Source, x: Float32Array[], y: number[] }

export interface FlDataOptions { clients: number, maxWindowsPerClient: number, maxHeldOutPerSource: number }

/** Evenly spaced rows, so a cap keeps the spread of a trace set rather than its first trace. */
function spaced<T> (items: T[], max: number): T[] {
  if (items.length <= max) return items
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * items.length / max)])
}

export function buildFlData (root: string, opts: FlDataOptions): { clients: ClientData[], heldOut: HeldOut[], sources: Source[] } {
  const bySource = SOURCES.map(s => ({ source: s, traces: readSource(root, s) })).filter(s => s.traces.length > 0)
  if (bySource.length === 0) throw new Error(`no bandwidth traces under ${root}`)
  const clients: ClientData[] = []
  const heldOut: HeldOut[] = []
  bySource.forEach(({ source, traces }, si) => {
    const test = traces.filter(t => tracePart(t) === 'test')
    const train = traces.filter(t => tracePart(t) !== 'test')
    const hw = windows(test)
    const idx = spaced(hw.y.map((_, i) => i), opts.maxHeldOutPerSource)
    heldOut.push({ source, x: idx.map(i => hw.x[i]), y: idx.map(i => encodeMbps(hw.y[i])) })
    // Clients of this source: every bySource.length-th client index, so sources alternate.
    const mine = Array.from({ length: opts.clients }, (_, i) => i).filter(i => i % bySource.length === si)
    mine.forEach((ci, j) => {
      const own = train.filter(t => hashString(t.id) % mine.length === j)
      if (own.length === 0) return
      const w = windows(own)
      const rows = spaced(w.y.map((_, i) => i), opts.maxWindowsPerClient)
      clients.push({ id: `c${String(ci).padStart(3, '0')}-${source}`, source, x: rows.map(i => w.x[i]), y: rows.map(i => encodeMbps(w.y[i])), linkTrace: own[0].mbps })
    })
  })
  return { clients: clients.sort((a, b) => a.id < b.id ? -1 : 1), heldOut: heldOut.filter(h => h.y.length > 0), sources: bySource.map(s => s.source) }
}

/** HISTOGRAM_EDGES bins of ln(Mbit/s + 0.1): the data summary a client shares (never its windows). */
export const HISTOGRAM_EDGES = [-1, 0, 1, 2, 3, 4, 5]

export function histogram (y: readonly number[]): number[] {
  const out = new Array<number>(HISTOGRAM_EDGES.length + 1).fill(0)
  for (const v of y) {
    let b = 0
    while (b < HISTOGRAM_EDGES.length && v >= HISTOGRAM_EDGES[b]) b++
    out[b]++
  }
  return out.map(v => y.length > 0 ? v / y.length : 0)
}
