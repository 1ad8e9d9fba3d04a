// The models NovaCron ships, as the CLI sees them: how to train, evaluate and query each. Training code is
// imported lazily (tfjs is heavy) so that `models predict` starts fast.
import { existsSync } from 'node:fs'
import { NovacronError } from '../config/errors.ts'
import { SHARED_DATA_DIR, type ManifestEntry } from './manifest.ts'
import type { ModelRegistry } from './registry.ts'
import type { BySourceResult } from './tasks/by-source.ts'

export interface EvalResult {
  model: string
  data: string
  samples: number
  /** How the data was used: held-out part of the training data, or all of a new directory. */
  scope: string
  metrics: { model: Record<string, unknown>, baselines: Record<string, Record<string, unknown>> }
}

export interface TrainRequest {
  dataDir: string
  outDir: string
  seed?: number
  quick?: boolean
  log?: (msg: string) => void
  /** A manifest directory whose model of this name training starts from (bandwidth: its LSTM weights). */
  initFrom?: string
}

export interface ModelTask {
  name: string
  /** Data set under ../shared/data that training uses by default. */
  dataSet: string
  describe: string
  predict: (registry: ModelRegistry, input: unknown) => Promise<unknown>
  evaluate: (registry: ModelRegistry, dataDir: string) => Promise<EvalResult>
  /** Leave-one-source-out: trains one fold per source of dataDir (seeded) and scores the source left out. */
  evaluateBySource: (dataDir: string, opts: { seed?: number, log?: (msg: string) => void }) => Promise<BySourceResult>
  train: (req: TrainRequest) => Promise<{ entry: ManifestEntry }>
}

export { SHARED_DATA_DIR }

const TASKS: Record<string, () => Promise<ModelTask>> = {
  reliability: async () => (await import('./tasks/reliability-task.ts')).reliabilityTask,
  compression: async () => (await import('./tasks/compression-task.ts')).compressionTask,
  consensus: async () => (await import('./tasks/consensus-task.ts')).consensusTask,
  'consensus-latency': async () => (await import('./tasks/consensus-latency-task.ts')).consensusLatencyTask,
  bandwidth: async () => (await import('./tasks/bandwidth-task.ts')).bandwidthTask,
  placement: async () => (await import('./tasks/placement.ts')).placementTask
}

export const MODEL_NAMES = Object.keys(TASKS)

export async function taskFor (name: string): Promise<ModelTask> {
  const load = TASKS[name]
  if (load == null) throw new NovacronError('usage', `unknown model '${name}' (known: ${MODEL_NAMES.join(', ')})`)
  return await load()
}

export function requireDir (dir: string, what: string): string {
  if (!existsSync(dir)) throw new NovacronError('usage', `${what} ${dir} does not exist`)
  return dir
}
