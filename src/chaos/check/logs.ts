// The checks on what the nodes committed: every node's log agrees with every other's at each height both
// hold, the nodes end at one height and state root, and no acknowledged write is missing from the logs.
import type { LogEntry, RegisterOp } from './history.ts'

export interface Divergence { height: number, nodes: [string, string], field: 'batchId' | 'stateRoot', values: [string, string] }

export interface LostWrite { key: string, value: string | null, txId: string, height?: number, missingOn: string[] }

export interface LogReport {
  /** True when no two nodes differ at any height both hold. */
  agree: boolean
  /** The first divergence per pair of nodes (empty when they agree). */
  divergences: Divergence[]
  /** Each node's last height and its state root there. */
  heads: Record<string, { height: number, stateRoot: string | null }>
  /** Every node's log ends at the same height with the same state root (a node that installed a snapshot
   *  lacks the batches it skipped: judge convergence by the nodes' status, not by this, after state transfer). */
  converged: boolean
  /** Acknowledged writes in no node's log, committed only after the height they were acknowledged at, or
   *  missing from a node whose log holds the height they were committed at. */
  lost: LostWrite[]
  /** Acknowledged writes checked (those with a txId). */
  acknowledged: number
}

export function checkLogs (logs: Record<string, readonly LogEntry[]>, ops: readonly RegisterOp[] = []): LogReport {
  const nodes = Object.keys(logs).sort()
  const byHeight = new Map<string, Map<number, LogEntry>>()
  for (const n of nodes) byHeight.set(n, new Map(logs[n].map(e => [e.height, e])))
  const divergences: Divergence[] = []
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const [a, b] = [nodes[i], nodes[j]]
      const bLog = byHeight.get(b)!
      for (const ea of [...logs[a]].sort((x, y) => x.height - y.height)) {
        const eb = bLog.get(ea.height)
        if (eb == null) continue
        const field = ea.batchId !== eb.batchId ? 'batchId' : ea.stateRoot !== eb.stateRoot ? 'stateRoot' : null
        if (field != null) { divergences.push({ height: ea.height, nodes: [a, b], field, values: [ea[field], eb[field]] }); break }
      }
    }
  }
  const heads: LogReport['heads'] = {}
  for (const n of nodes) {
    const top = logs[n].reduce<LogEntry | null>((m, e) => m == null || e.height > m.height ? e : m, null)
    heads[n] = { height: top?.height ?? 0, stateRoot: top?.stateRoot ?? null }
  }
  const headList = Object.values(heads)
  const converged = headList.every(h => h.height === headList[0].height && h.stateRoot === headList[0].stateRoot)

  // Where each transaction sits in each node's log.
  const heightOf = new Map<string, number>()
  for (const n of nodes) for (const e of logs[n]) for (const t of e.txIds ?? []) if (!heightOf.has(t) || heightOf.get(t)! > e.height) heightOf.set(t, e.height)
  const lost: LostWrite[] = []
  const acked = ops.filter(o => o.f !== 'read' && o.outcome === 'ok' && o.txId != null)
  for (const op of acked) {
    const at = heightOf.get(op.txId!)
    // Lost: in no node's log, or committed only after the height the node acknowledged it at. A node that
    // learned of the commit through a snapshot acknowledges at the snapshot's height, which is later.
    if (at === undefined || (op.height != null && at > op.height)) {
      lost.push({ key: op.key, value: op.value, txId: op.txId!, ...(op.height != null ? { height: op.height } : {}), missingOn: at === undefined ? nodes : [] })
      continue
    }
    // Every node whose log holds that height must hold the transaction there.
    const missingOn = nodes.filter(n => { const e = byHeight.get(n)!.get(at); return e != null && !(e.txIds ?? []).includes(op.txId!) })
    if (missingOn.length > 0) lost.push({ key: op.key, value: op.value, txId: op.txId!, height: at, missingOn })
  }
  return { agree: divergences.length === 0, divergences, heads, converged, lost, acknowledged: acked.length }
}
