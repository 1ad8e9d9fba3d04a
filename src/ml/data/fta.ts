// Reads a Failure Trace Archive directory (event_trace.tab.gz): per node, its outages and the span it was
// observed. event_type 0 is unavailable and 1 available (checked on Grid'5000: outages are the short ones).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { NovacronError } from '../../config/errors.ts'
import type { NodeTrace } from '../features/reliability.ts'

export function readFtaTraces (dir: string): NodeTrace[] {
  const path = join(dir, 'event_trace.tab.gz')
  if (!existsSync(path)) throw new NovacronError('usage', `${dir} is not a Failure Trace Archive directory (no event_trace.tab.gz)`)
  const text = gunzipSync(readFileSync(path)).toString('latin1')
  const byNode = new Map<string, NodeTrace>()
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue
    const cols = line.trim().split(/\s+/)
    if (cols.length < 8) continue
    const node = cols[2]
    const type = Number(cols[5])
    const start = Number(cols[6])
    const stop = Number(cols[7])
    if (!Number.isFinite(start) || !Number.isFinite(stop) || stop < start) continue
    let t = byNode.get(node)
    if (t == null) {
      t = { node, observedFrom: start, observedTo: stop, outages: [] }
      byNode.set(node, t)
    }
    t.observedFrom = Math.min(t.observedFrom, start)
    t.observedTo = Math.max(t.observedTo, stop)
    if (type === 0) t.outages.push([start, stop])
  }
  for (const t of byNode.values()) t.outages.sort((a, b) => a[0] - b[0])
  return [...byNode.values()].sort((a, b) => Number(a.node) - Number(b.node))
}
