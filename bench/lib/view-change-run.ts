// One simulated run measured the way the T-PBFT view-change benches report it: outer view changes and inner
// failovers per honest node per 10k committed transactions, latency, and messages and bytes on the wire per
// transaction. Shared by bench/tpbft-views.ts and bench/tpbft-scenarios.ts so both count alike.
import { FIXTURE_PINGS_CSV } from '../../src/consensus/sim/pings.ts'
import type { Scenario } from '../../src/consensus/sim/scenario.ts'
import { runScenario } from '../../src/consensus/sim/simulation.ts'
import type { SimOptions } from '../../src/consensus/sim/simulation.ts'

export interface ViewChangeFigures { outerPer10k: number, innerPer10k: number, txsDone: number, p50Ms: number, maxMs: number, msgsPerTx: number, bytesPerTx: number, violations: number }

export function measureViewChanges (s: Scenario, builds: Omit<SimOptions, 'pingsCsv' | 'tap'> = {}): ViewChangeFigures {
  let msgs = 0
  let bytes = 0
  const r = runScenario(s, { pingsCsv: FIXTURE_PINGS_CSV, ...builds, tap: { wire: (b) => { msgs++; bytes += b.byteLength } } })
  // Which checker fired and why (the count alone says nothing about it), on stderr next to the progress lines.
  for (const v of r.violations) process.stderr.write(`violation (${s.protocol}, n=${s.n}, seed ${s.seed}): ${v}\n`)
  const honest = s.n - s.byzantine.length
  const ev = r.stats.protocolEvents
  const done = Math.max(1, r.stats.txsDone)
  return {
    // Events are counted on every honest node: per node, per 10k committed transactions.
    outerPer10k: (ev['new-view'] ?? 0) / honest / done * 10_000,
    innerPer10k: (ev['inner-failover'] ?? 0) / honest / done * 10_000,
    txsDone: r.stats.txsDone,
    p50Ms: r.stats.latencyP50Ms,
    maxMs: r.stats.latencyMaxMs,
    msgsPerTx: msgs / done,
    bytesPerTx: bytes / done,
    violations: r.violations.length
  }
}
