// Per-link one-way latency. With the WonderNetwork ping data (../shared/data/latency/wondernetwork) each
// simulated node sits at a real server and links take half the measured RTT plus jitter of its deviation;
// without it a synthetic geography stands in, so the simulator works on a fresh checkout.
import { readFileSync } from 'node:fs'
import type { Prng } from './prng.ts'

interface LinkStats { readonly oneWayMs: number, readonly jitterMs: number }

export interface LatencyModel {
  readonly source: string
  /** One sample of one-way delay in ms for a message from node a to node b. */
  sample (a: number, b: number, rng: Prng): number
}

type PingTable = { readonly servers: number[], readonly links: Map<string, { avg: number, mdev: number }> }
const tables = new Map<string, PingTable>()

/** Parses the grouped pings CSV (source,destination,min,avg,max,mdev) once per process. */
function loadPings (path: string): PingTable {
  let t = tables.get(path)
  if (t !== undefined) return t
  const links = new Map<string, { avg: number, mdev: number }>()
  const servers = new Set<number>()
  const lines = readFileSync(path, 'utf8').split('\n')
  for (let i = 1; i < lines.length; i++) {
    const [s, d, , avg, , mdev] = lines[i].split(',')
    const a = Number(avg)
    if (s === undefined || d === undefined || !(a > 0) || s === d) continue
    links.set(`${s},${d}`, { avg: a, mdev: Number(mdev) || 0 })
    servers.add(Number(s))
  }
  t = { servers: [...servers].sort((x, y) => x - y), links }
  tables.set(path, t)
  return t
}

class MatrixLatency implements LatencyModel {
  readonly source: string
  readonly #links: LinkStats[][]
  constructor (source: string, links: LinkStats[][]) {
    this.source = source
    this.#links = links
  }

  sample (a: number, b: number, rng: Prng): number {
    const l = this.#links[a][b]
    return l.oneWayMs + rng.float() * 2 * l.jitterMs
  }
}

/** n nodes placed at distinct measured servers that have pings between every pair. */
export function measuredLatency (pingsCsv: string, n: number, rng: Prng): LatencyModel {
  const table = loadPings(pingsCsv)
  const find = (a: number, b: number): { avg: number, mdev: number } | undefined => table.links.get(`${a},${b}`) ?? table.links.get(`${b},${a}`)
  for (let attempt = 0; attempt < 100; attempt++) {
    const chosen = rng.shuffle(table.servers).slice(0, n)
    const links: LinkStats[][] = []
    let complete = chosen.length === n
    for (let i = 0; i < n && complete; i++) {
      links.push([])
      for (let j = 0; j < n; j++) {
        if (i === j) { links[i].push({ oneWayMs: 0.05, jitterMs: 0.01 }); continue }
        const p = find(chosen[i], chosen[j])
        if (p === undefined) { complete = false; break }
        links[i].push({ oneWayMs: p.avg / 2, jitterMs: Math.max(p.mdev, 0.1) })
      }
    }
    if (complete) return new MatrixLatency(`wondernetwork servers ${chosen.join(',')}`, links)
  }
  throw new Error(`no ${n} servers with complete pings in ${pingsCsv}`)
}

/** Nodes on a 2D map ~10,000 km wide; delay grows with distance like light in fibre plus routing. */
export function syntheticLatency (n: number, rng: Prng): LatencyModel {
  const pos = Array.from({ length: n }, () => [rng.range(0, 10_000), rng.range(0, 5_000)])
  const links = pos.map(([x1, y1]) => pos.map(([x2, y2]) => {
    const km = Math.hypot(x1 - x2, y1 - y2)
    return { oneWayMs: 2 + km / 100, jitterMs: 0.5 + km / 2000 }
  }))
  return new MatrixLatency('synthetic', links)
}
