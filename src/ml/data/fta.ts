// Reads a Failure Trace Archive directory (event_trace.tab.gz): per node, its outages and the span it was
// observed. event_type 0 is unavailable and 1 available (checked on Grid'5000: outages are the short ones).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { NovacronError } from '../../config/errors.ts'
import type { NodeTrace } from '../features/reliability.ts'

/** A node's source: its site for Grid'5000-style names (G1/site1/c1/node1), else the archive's folder. */
function sourceOf (nodeName: string, dir: string): string {
  const parts = nodeName.split('/')
  return parts.length >= 3 ? parts[1] : basename(dir)
}

/**
 * One FTA directory, or a directory of them (one per system): every node, tagged with its source. With
 * several systems, a node's source is its system's folder, so leave-one-source-out leaves out a system.
 */
export function readFtaSources (dir: string): NodeTrace[] {
  if (existsSync(join(dir, 'event_trace.tab.gz'))) return readFtaTraces(dir)
  const systems = existsSync(dir) ? readdirSync(dir).sort().filter(n => statSync(join(dir, n)).isDirectory() && existsSync(join(dir, n, 'event_trace.tab.gz'))) : []
  if (systems.length === 0) throw new NovacronError('usage', `${dir} is not a Failure Trace Archive directory (no event_trace.tab.gz in it or in its folders)`)
  return systems.flatMap(s => readFtaTraces(join(dir, s)).map(t => ({ ...t, node: `${s}/${t.node}`, source: s })))
}

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
    const name = cols[4]
    const type = Number(cols[5])
    const start = Number(cols[6])
    const stop = Number(cols[7])
    if (!Number.isFinite(start) || !Number.isFinite(stop) || stop < start) continue
    let t = byNode.get(node)
    if (t == null) {
      t = { node, observedFrom: start, observedTo: stop, outages: [], source: sourceOf(name, dir) }
      byNode.set(node, t)
    }
    t.observedFrom = Math.min(t.observedFrom, start)
    t.observedTo = Math.max(t.observedTo, stop)
    if (type === 0) t.outages.push([start, stop])
  }
  for (const t of byNode.values()) t.outages.sort((a, b) => a[0] - b[0])
  return [...byNode.values()].sort((a, b) => Number(a.node) - Number(b.node))
}
