// What `novacron bench --out FILE` writes: FILE (the JSON printed with --json), FILE's name with .csv
// (one row per measured point: every search step, or the run itself) and .svg (latency against rate).
import { writeFileSync } from 'node:fs'
import type { BenchResult } from './devnet-bench.ts'

export interface Point { protocol: string, mode: string, offeredRate: number | null, tps: number, p50: number | null, p90: number | null, p99: number | null, withinCap: boolean | null }

/** Every measured point of the results: the search steps when there was a search, else the run. */
export function points (results: readonly BenchResult[]): Point[] {
  return results.flatMap((r): Point[] => r.search != null
    ? r.search.map(s => ({ protocol: r.protocol, mode: r.mode, offeredRate: s.offeredRate, tps: s.tps, p50: s.p50, p90: null, p99: s.p99, withinCap: s.withinCap }))
    : [{ protocol: r.protocol, mode: r.mode, offeredRate: r.offeredRate, tps: r.tps, p50: r.latencyMs.p50, p90: r.latencyMs.p90, p99: r.latencyMs.p99, withinCap: null }])
}

const CSV_HEAD = ['protocol', 'mode', 'nodes', 'txSize', 'durationS', 'offeredRate', 'tps', 'p50Ms', 'p90Ms', 'p99Ms', 'withinCap', 'meanCpuPct', 'maxRssMiB']

export function toCsv (results: readonly BenchResult[]): string {
  const cell = (v: unknown): string => v == null ? '' : String(v)
  const rows = results.flatMap(r => {
    const cpu = r.perNode.length > 0 ? Math.round(r.perNode.reduce((n, p) => n + p.cpuPct, 0) / r.perNode.length * 10) / 10 : null
    const rss = r.perNode.length > 0 ? Math.max(...r.perNode.map(p => p.rssMiB)) : null
    return points([r]).map(p => [p.protocol, p.mode, r.nodes, r.txSize, r.durationS, p.offeredRate, p.tps, p.p50, p.p90, p.p99, p.withinCap, cpu, rss].map(cell).join(','))
  })
  return [CSV_HEAD.join(','), ...rows].join('\n') + '\n'
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e']
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function niceMax (v: number): number {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  return [1, 2, 2.5, 5, 10].map(m => m * p).find(m => m >= v) ?? 10 * p
}

/** Latency (p50 solid, p99 dashed) against the rate applied, one colour per protocol. */
export function toSvg (results: readonly BenchResult[]): string {
  const W = 720
  const H = 440
  const m = { l: 70, r: 160, t: 40, b: 60 }
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  const pts = points(results)
  const withLatency = pts.filter(p => p.p50 != null || p.p99 != null)
  const xMax = niceMax(Math.max(1, ...pts.map(p => p.tps)))
  const yMax = niceMax(Math.max(1, ...withLatency.map(p => Math.max(p.p50 ?? 0, p.p99 ?? 0))))
  const x = (v: number): number => m.l + (v / xMax) * pw
  const y = (v: number): number => m.t + ph - (v / yMax) * ph
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  const simulated = results.some(r => r.mode === 'sim')
  out.push(`<text x="${m.l}" y="22" font-size="15" font-weight="bold">${esc(`novacron bench: commit latency against rate${simulated ? ' (SIMULATED time)' : ''}`)}</text>`)
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5
    const yv = (yMax * i) / 5
    out.push(`<line x1="${x(xv)}" y1="${m.t}" x2="${x(xv)}" y2="${m.t + ph}" stroke="#eee"/>`, `<text x="${x(xv)}" y="${m.t + ph + 18}" text-anchor="middle">${Math.round(xv)}</text>`)
    out.push(`<line x1="${m.l}" y1="${y(yv)}" x2="${m.l + pw}" y2="${y(yv)}" stroke="#eee"/>`, `<text x="${m.l - 8}" y="${y(yv) + 4}" text-anchor="end">${Math.round(yv)}</text>`)
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  out.push(`<text x="${m.l + pw / 2}" y="${H - 18}" text-anchor="middle">transactions applied per second (tx/s)</text>`)
  out.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">end-to-end latency (ms)</text>`)
  const caps = [...new Set(results.map(r => r.maxP99Ms).filter((c): c is number => c != null))]
  for (const c of caps) if (c <= yMax) out.push(`<line x1="${m.l}" y1="${y(c)}" x2="${m.l + pw}" y2="${y(c)}" stroke="#999" stroke-dasharray="2 3"/>`, `<text x="${m.l + pw - 4}" y="${y(c) - 4}" text-anchor="end" fill="#666">p99 cap ${c} ms</text>`)
  const protocols = [...new Set(pts.map(p => `${p.protocol}${p.mode === 'sim' ? ' (sim)' : ''}`))]
  protocols.forEach((name, i) => {
    const color = COLORS[i % COLORS.length]
    const mine = pts.filter(p => `${p.protocol}${p.mode === 'sim' ? ' (sim)' : ''}` === name).sort((a, b) => a.tps - b.tps)
    for (const [key, dash] of [['p50', ''], ['p99', ' stroke-dasharray="6 4"']] as const) {
      const line = mine.filter(p => p[key] != null).map(p => `${x(p.tps).toFixed(1)},${y(p[key] as number).toFixed(1)}`)
      if (line.length > 1) out.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`)
      for (const p of mine.filter(q => q[key] != null)) out.push(`<circle cx="${x(p.tps).toFixed(1)}" cy="${y(p[key] as number).toFixed(1)}" r="${key === 'p50' ? 3.5 : 3}" fill="${key === 'p50' ? color : 'white'}" stroke="${color}"><title>${esc(`${name} ${key} ${p[key]} ms at ${p.tps} tx/s${p.offeredRate != null ? ` (offered ${p.offeredRate})` : ''}`)}</title></circle>`)
    }
    const ly = m.t + 10 + i * 40
    out.push(`<line x1="${m.l + pw + 14}" y1="${ly}" x2="${m.l + pw + 40}" y2="${ly}" stroke="${color}" stroke-width="2"/>`, `<text x="${m.l + pw + 46}" y="${ly + 4}">${esc(name)} p50</text>`)
    out.push(`<line x1="${m.l + pw + 14}" y1="${ly + 16}" x2="${m.l + pw + 40}" y2="${ly + 16}" stroke="${color}" stroke-width="2" stroke-dasharray="6 4"/>`, `<text x="${m.l + pw + 46}" y="${ly + 20}">${esc(name)} p99</text>`)
  })
  if (withLatency.length === 0) out.push(`<text x="${m.l + pw / 2}" y="${m.t + ph / 2}" text-anchor="middle" fill="#666">no per-transaction latency in these results${simulated ? ' (the simulator does not expose it)' : ''}</text>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}

/** The CSV and SVG paths beside FILE: its name with .csv and .svg instead of its extension. */
export function besides (file: string): { csv: string, svg: string } {
  const stem = file.replace(/\.[^./]+$/, '')
  return { csv: stem + '.csv', svg: stem + '.svg' }
}

export function writeOutputs (file: string, json: unknown, results: readonly BenchResult[]): { json: string, csv: string, svg: string } {
  const { csv, svg } = besides(file)
  if (csv === file || svg === file) throw new Error(`--out ${file}: name the JSON file (e.g. bench.json); the CSV and SVG go beside it`)
  writeFileSync(file, JSON.stringify(json, null, 2) + '\n')
  writeFileSync(csv, toCsv(results))
  writeFileSync(svg, toSvg(results))
  return { json: file, csv, svg }
}
