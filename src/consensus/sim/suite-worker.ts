// Runs a share of a suite's seeds in a worker thread and reports one summary per seed.
import { parentPort, workerData } from 'node:worker_threads'
import { runChecked } from './run-checked.ts'
import { replayCommand } from './scenario.ts'
import { suiteScenarioOf } from './suites.ts'
import type { SuiteSeedSummary } from './suites.ts'
import type { SimProtocolName } from './protocols.ts'

const { protocol, seeds, pings } = workerData as { protocol: SimProtocolName, seeds: number[], pings: string | null }
for (const seed of seeds) {
  const s = suiteScenarioOf(protocol, seed)
  const started = performance.now()
  const base = { seed, n: s.n, adversary: s.adversary, replay: replayCommand(s), cleanNetwork: s.partitions.length === 0 && s.crashes.length === 0 && s.loss === 0 }
  let summary: SuiteSeedSummary
  try {
    const r = runChecked(s, { pingsCsv: pings })
    summary = {
      ...base,
      violations: r.violations,
      txsDone: r.stats.txsDone,
      maxView: r.stats.maxView,
      stateTransfers: r.stats.stateTransfers,
      badSignatureDrops: r.stats.dropped['bad-signature'] ?? 0,
      protocolEvents: r.stats.protocolEvents,
      latencyP50Ms: r.stats.latencyP50Ms,
      wallMs: Math.round(performance.now() - started)
    }
  } catch (e) {
    summary = { ...base, violations: [`crashed: ${(e as Error).stack}`], txsDone: 0, maxView: 0, stateTransfers: 0, badSignatureDrops: 0, protocolEvents: {}, latencyP50Ms: 0, wallMs: Math.round(performance.now() - started) }
  }
  parentPort?.postMessage(summary)
}
