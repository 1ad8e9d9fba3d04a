// The seed plan of the simulator suite, shared by the test and its worker threads: seed k runs
// n = 4, 7, 10 in turn and the adversaries in turn (3 and 8 are coprime, so every pair occurs).
import { dataSet } from '../helpers/data.ts'
import { join } from 'node:path'
import { ADVERSARIES, scenarioFor } from '../../src/consensus/sim/scenario.ts'
import type { Scenario } from '../../src/consensus/sim/scenario.ts'

export const SIZES = [4, 7, 10] as const

/** Real Ed25519 in one seed of every 50; cheap fake signatures elsewhere. */
export function suiteScenario (seed: number): Scenario {
  return scenarioFor({ seed, n: SIZES[seed % SIZES.length], adversary: ADVERSARIES[seed % ADVERSARIES.length], realSignatures: seed % 50 === 7 })
}

export function pingsCsv (): { path: string | null, skip: string | false } {
  const d = dataSet('latency/wondernetwork')
  return d.path === null ? { path: null, skip: d.skip } : { path: join(d.path, 'pings-2020-07-19-2020-07-20-grouped.csv'), skip: false }
}

export interface SeedSummary {
  readonly seed: number
  readonly n: number
  readonly adversary: string
  readonly violations: string[]
  readonly replay: string
  readonly txsDone: number
  readonly maxView: number
  /** No partition, crash or loss: a view change here is the adversary's doing. */
  readonly cleanNetwork: boolean
  readonly stateTransfers: number
  readonly badSignatureDrops: number
  readonly error?: string
}
