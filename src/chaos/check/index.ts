// The history checker in one call: linearizability per key, then (when the history carries the nodes'
// logs) log agreement, convergence and lost acknowledged writes. Pure: callers read files and keep time.
import { checkLinearizable, type CheckBudget, type LinearizabilityReport, type Verdict } from './linearizability.ts'
import { checkLogs, type LogReport } from './logs.ts'
import type { History } from './history.ts'

export * from './history.ts'
export * from './linearizability.ts'
export * from './logs.ts'
export { parseJepsenLog } from './jepsen-log.ts'

export interface HistoryReport {
  /** not-linearizable also when an acknowledged write is lost or logs diverge: the run is wrong either way. */
  verdict: Verdict
  linearizability: LinearizabilityReport
  logs?: LogReport
  problems: string[]
}

export function checkHistory (history: History, budget: CheckBudget = {}): HistoryReport {
  const linearizability = checkLinearizable(history.ops, budget)
  const problems: string[] = []
  for (const k of linearizability.keys) {
    if (k.verdict === 'not-linearizable') problems.push(`key ${JSON.stringify(k.key)} is not linearizable${k.window != null ? ` (window ${k.window.from}..${k.window.to}, ${k.window.ops.length} ops)` : ''}`)
    if (k.verdict === 'unknown') problems.push(`key ${JSON.stringify(k.key)}: undecided within the budget (${k.steps} steps)`)
  }
  let logs: LogReport | undefined
  if (history.logs != null) {
    logs = checkLogs(history.logs, history.ops)
    for (const d of logs.divergences) problems.push(`logs of ${d.nodes[0]} and ${d.nodes[1]} differ at height ${d.height} (${d.field})`)
    for (const l of logs.lost) problems.push(`acknowledged write ${JSON.stringify(l.key)}=${JSON.stringify(l.value)} (tx ${l.txId.slice(0, 16)}) ${l.missingOn.length > 0 ? `missing on ${l.missingOn.join(', ')}` : `committed only after height ${l.height}, where it was acknowledged`}`)
  }
  const broken = linearizability.verdict === 'not-linearizable' || (logs != null && (!logs.agree || logs.lost.length > 0))
  return { verdict: broken ? 'not-linearizable' : linearizability.verdict, linearizability, ...(logs != null ? { logs } : {}), problems }
}
