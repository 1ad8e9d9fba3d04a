// Runs a share of the suite's seeds in a worker thread and reports one summary per seed.
import { parentPort, workerData } from 'node:worker_threads'
import { runChecked } from '../../src/consensus/sim/run-checked.ts'
import { replayCommand } from '../../src/consensus/sim/scenario.ts'
import { suiteScenario } from './suite.ts'
import type { SeedSummary } from './suite.ts'

const { seeds, pings } = workerData as { seeds: number[], pings: string | null }
for (const seed of seeds) {
  const s = suiteScenario(seed)
  const base = { seed, n: s.n, adversary: s.adversary, replay: replayCommand(s), cleanNetwork: s.partitions.length === 0 && s.crashes.length === 0 && s.loss === 0 }
  let summary: SeedSummary
  try {
    const r = runChecked(s, { pingsCsv: pings })
    summary = { ...base, violations: r.violations, txsDone: r.stats.txsDone, maxView: r.stats.maxView, stateTransfers: r.stats.stateTransfers, badSignatureDrops: r.stats.dropped['bad-signature'] ?? 0 }
  } catch (e) {
    summary = { ...base, violations: [`crashed: ${(e as Error).stack}`], txsDone: 0, maxView: 0, stateTransfers: 0, badSignatureDrops: 0, error: String(e) }
  }
  parentPort?.postMessage(summary)
}
