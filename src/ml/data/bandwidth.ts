// Throughput traces in the `time_s  Mbit/s` format (HSDPA, FCC, Oboe, Puffer): one trace per file.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { NovacronError } from '../../config/errors.ts'

export interface Trace { name: string, id: string, mbps: number[] }

export function readTraces (dir: string): Trace[] {
  const out: Trace[] = []
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isFile() && st.size < 50_000_000) {
        const text = readFileSync(p, 'utf8')
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
        if (ok && mbps.length > 11) out.push({ name: relative(dir, p), id: createHash('sha256').update(text).digest('hex').slice(0, 12), mbps })
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
