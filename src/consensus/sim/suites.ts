// The seed plans of the simulator suites, shared by the tests, their worker threads and soak scripts:
// every run of sizes x adversaries consecutive seeds covers each (cluster size, adversary) pair of the
// protocol once, with real Ed25519 in one seed of every 50 and cheap fake signatures elsewhere.
import { Worker } from 'node:worker_threads'
import { protocolModule } from '../registry.ts'
import { adversariesOf, scenarioFor } from './scenario.ts'
import type { Scenario } from './scenario.ts'
import type { SimProtocolName } from './protocols.ts'

/** The cluster sizes a protocol's suite covers (its module says). */
export const suiteSizesOf = (protocol: SimProtocolName): readonly number[] => protocolModule(protocol).sim.sizes

export function suiteScenarioOf (protocol: SimProtocolName, seed: number): Scenario {
  const adversaries = adversariesOf(protocol)
  const sizes = suiteSizesOf(protocol)
  const pair = seed % (sizes.length * adversaries.length)
  return scenarioFor({ protocol, seed, n: sizes[pair % sizes.length], adversary: adversaries[Math.floor(pair / sizes.length)], realSignatures: seed % 50 === 7 })
}

/** What one seed of a suite reports back from its worker thread. */
export interface SuiteSeedSummary {
  readonly seed: number
  readonly n: number
  readonly adversary: string
  readonly violations: string[]
  readonly replay: string
  readonly txsDone: number
  readonly maxView: number
  /** No partition, crash or loss: what happens here is the adversary's doing. */
  readonly cleanNetwork: boolean
  readonly stateTransfers: number
  readonly badSignatureDrops: number
  readonly protocolEvents: Readonly<Record<string, number>>
  readonly latencyP50Ms: number
  readonly wallMs: number
}

/** Runs `seeds` of `protocol`'s plan on `workers` threads, all four checkers on each. */
export function runSuite (protocol: SimProtocolName, seeds: readonly number[], pings: string | null, workers: number): Promise<SuiteSeedSummary[]> {
  const shares = Array.from({ length: workers }, (_, w) => seeds.filter((_, i) => i % workers === w))
  return Promise.all(shares.map((share) => new Promise<SuiteSeedSummary[]>((resolve, reject) => {
    const out: SuiteSeedSummary[] = []
    const worker = new Worker(new URL('./suite-worker.ts', import.meta.url), { workerData: { protocol, seeds: share, pings } })
    worker.on('message', (s: SuiteSeedSummary) => out.push(s))
    worker.on('error', reject)
    worker.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`sim worker exited with ${code}`))))
  }))).then((parts) => parts.flat().sort((a, b) => a.seed - b.seed))
}
