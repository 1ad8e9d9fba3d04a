// `novacron bench --sim`: the protocol in the deterministic simulator, in process, with no faults (no
// Byzantine nodes, loss, duplication, reordering, partitions or crashes) and synthetic WAN latencies.
// Every figure is in simulated time. The simulator reports how many transactions committed and when the
// run ended, not when each one committed, so tps is computed from those and latency percentiles are null.
import { cpus } from 'node:os'
import type { BenchResult } from './devnet-bench.ts'
import { machineInfo } from './devnet-bench.ts'

/** The simulator ends a run this long (simulated) after the last commit: DRAIN_MS in src/consensus/sim/simulation.ts. */
const SIM_DRAIN_MS = 3000

export interface SimBenchOptions {
  protocol: string
  nodes: number
  durationS: number
  /** Offered load in tx/s of simulated time (default 200). */
  rate: number | null
  seed: number
}

export async function runSimBench (opts: SimBenchOptions): Promise<BenchResult> {
  const { runScenario } = await import('../../consensus/sim/simulation.ts')
  const { scenarioFor } = await import('../../consensus/sim/scenario.ts')
  const { SIM_PROTOCOLS } = await import('../../consensus/sim/protocols.ts')
  const protocol = SIM_PROTOCOLS.find(p => p === opts.protocol)
  if (protocol == null) throw new Error(`the simulator runs ${SIM_PROTOCOLS.join(' and ')}, not ${opts.protocol}`)
  const rate = opts.rate ?? 200
  const submitUntilMs = Math.max(1000, opts.durationS * 1000)
  const txs = Math.max(1, Math.round(rate * opts.durationS))
  const base = scenarioFor({ protocol, seed: opts.seed, n: opts.nodes, adversary: 'none' })
  const scenario = {
    ...base,
    txs,
    submitUntilMs,
    loss: 0,
    duplicate: 0,
    reorder: 0,
    partitions: [],
    crashes: [],
    stabilizeAtMs: submitUntilMs + 500,
    maxTimeMs: submitUntilMs + 500 + 120_000
  }
  const wallStart = performance.now()
  const cpuStart = process.cpuUsage()
  const r = runScenario(scenario)
  const wallS = (performance.now() - wallStart) / 1000
  const cpu = process.cpuUsage(cpuStart)
  if (r.violations.length > 0) throw new Error(`the simulator found violations: ${r.violations.slice(0, 3).join('; ')}`)
  const activeMs = Math.max(1, r.stats.endTimeMs - SIM_DRAIN_MS)
  const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20 * 10) / 10
  return {
    protocol: opts.protocol,
    nodes: opts.nodes,
    txSize: 0,
    durationS: opts.durationS,
    offeredRate: rate,
    committedTx: r.stats.txsDone,
    tps: Math.round(r.stats.txsDone / (activeMs / 1000)),
    latencyMs: { p50: null, p90: null, p99: null },
    // All simulated nodes share this process: one entry for the simulator itself.
    perNode: [{ id: 'simulator', cpuPct: Math.round((cpu.user + cpu.system) / 1000 / (wallS * 1000) * 1000) / 10, rssMiB }],
    machine: { ...machineInfo(), cpus: cpus().length },
    mode: 'sim',
    simulated: true,
    note: `SIMULATED (seed ${opts.seed}, ${r.stats.latency} latencies, no faults): tps is committed transactions over ${(activeMs / 1000).toFixed(1)} s of simulated time up to the last commit; the simulator exposes no per-transaction latency, so latencyMs is null; ${r.stats.events} events in ${wallS.toFixed(2)} s of wall time`
  }
}
