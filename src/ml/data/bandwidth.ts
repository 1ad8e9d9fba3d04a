// Throughput traces: the `time_s  Mbit/s` format (HSDPA, FCC, Oboe, Puffer: one trace per file) and
// 5Gophers-style CSV (a `throughput_mbps` column, one trace per run: every other column but `seq_num` names it).
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { NovacronError } from '../../config/errors.ts'

export interface Trace {
  name: string
  id: string
  mbps: number[]
  /** The data set (first folder under the directory read): what leave-one-source-out leaves out. */
  source: string
}

/** One trace per run of a CSV with a `throughput_mbps` column, in `seq_num` order. */
function csvTraces (text: string, name: string, source: string): Trace[] {
  const lines = text.split('\n').filter(l => l.trim() !== '')
  const head = lines[0].split(',').map(h => h.trim())
  const value = head.indexOf('throughput_mbps')
  const seq = head.indexOf('seq_num')
  if (value < 0) return []
  const keyCols = head.map((h, i) => i).filter(i => i !== value && i !== seq && head[i] !== 'rtt_in_ms')
  const runs = new Map<string, Array<[number, number]>>()
  lines.slice(1).forEach((l, row) => {
    const cols = l.split(',')
    const v = Number(cols[value])
    if (cols[value] === '' || !Number.isFinite(v) || v < 0) return
    const key = keyCols.map(i => cols[i]).join('/')
    const order = seq >= 0 ? Number(cols[seq]) : row
    let r = runs.get(key)
    if (r == null) { r = []; runs.set(key, r) }
    r.push([order, v])
  })
  const out: Trace[] = []
  for (const [key, samples] of runs) {
    if (samples.length <= 11) continue
    samples.sort((a, b) => a[0] - b[0])
    const mbps = samples.map(s => s[1])
    out.push({ name: `${name}:${key}`, id: createHash('sha256').update(`${name}:${key}:${mbps.join(',')}`).digest('hex').slice(0, 12), mbps, source })
  }
  return out
}

export function readTraces (dir: string): Trace[] {
  const out: Trace[] = []
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isFile() && st.size < 50_000_000) {
        const text = readFileSync(p, 'utf8')
        const rel = relative(dir, p)
        const source = rel.includes('/') ? rel.split('/')[0] : basename(dir)
        if (n.endsWith('.csv')) {
          out.push(...csvTraces(text, rel, source))
          continue
        }
        const mbps: number[] = []
        let ok = true
        for (const line of text.split('\n')) {
          const t = line.trim()
          if (t === '') continue
          const cols = t.split(/\s+/)
          const v = Number(cols[1])
          if (cols.length !== 2 || !Number.isFinite(Number(cols[0])) || !Number.isFinite(v) || v < 0) { ok = false; break }
          mbps.push(v)
        }
        // Other formats (CSV, logs) are not traces of this kind.
        if (ok && mbps.length > 11) out.push({ name: rel, id: createHash('sha256').update(text).digest('hex').slice(0, 12), mbps, source })
      }
    }
  }
  try {
    walk(dir)
  } catch (err) {
    throw new NovacronError('usage', `cannot read traces under ${dir}: ${(err as Error).message}`)
  }
  return out
}
