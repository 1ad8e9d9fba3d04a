// models/manifest.json: what each shipped model is, so that a loader can refuse a file that is not the one
// that was trained and evaluated (sha256) or whose inputs changed shape.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NovacronError } from '../config/errors.ts'
import type { BySourceResult } from './tasks/by-source.ts'

export const MANIFEST_VERSION = 1
export const DEFAULT_MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models')
/** The real data sets (read-only), beside the repository unless NOVACRON_DATA_DIR says otherwise. */
export const SHARED_DATA_DIR = process.env.NOVACRON_DATA_DIR ?? resolve(DEFAULT_MODELS_DIR, '..', '..', 'shared', 'data')

export interface TensorSpec {
  name: string
  /** A string dimension is the batch: any size. */
  shape: Array<number | string>
  type: 'float32' | 'int64'
}

export interface ManifestEntry {
  name: string
  version: string
  file: string
  sha256: string
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  opset: Record<string, number>
  /** Feature names in input column order, so a reader of the manifest knows what each column means. */
  features: string[]
  data: string
  split: string
  seed: number
  /** Held-out metrics of the model and of every baseline, as in the model card. */
  metrics: Record<string, Record<string, number | Record<string, number>>>
  card: string
  /** Fitted parameters of baselines that need training (logistic regression...), so `eval` replays them. */
  baselineParams?: Record<string, unknown>
  /** sha256 of the training data file: `eval` on that data uses the held-out part only. */
  dataSha256?: string
  /** Leave-one-source-out results (see src/ml/tasks/by-source.ts): the guard starts on the baseline where the model lost. */
  bySource?: BySourceResult
  /** Fixed inputs and what the TypeScript forward pass gave for them at training time: the ONNX file must agree. */
  reference?: { feeds: Record<string, { data: number[], dims: number[] }>, outputs: Record<string, { data: number[], dims: number[] }> }
}

export interface Manifest {
  version: number
  models: Record<string, ManifestEntry>
}

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function readManifest (dir: string = DEFAULT_MODELS_DIR): Manifest {
  const path = join(dir, 'manifest.json')
  if (!existsSync(path)) return { version: MANIFEST_VERSION, models: {} }
  let parsed: Manifest
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Manifest
  } catch (err) {
    throw new NovacronError('config', `cannot parse ${path}: ${(err as Error).message}`)
  }
  if (parsed.version !== MANIFEST_VERSION) throw new NovacronError('config', `${path} has manifest version ${parsed.version}, this build reads ${MANIFEST_VERSION}`)
  return parsed
}

/** Adds or replaces one entry, keeping the others (each pipeline writes its own model). */
export function writeManifestEntry (dir: string, entry: ManifestEntry): void {
  const manifest = readManifest(dir)
  manifest.models[entry.name] = entry
  const sorted: Record<string, ManifestEntry> = {}
  for (const k of Object.keys(manifest.models).sort()) sorted[k] = manifest.models[k]
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: MANIFEST_VERSION, models: sorted }, null, 2) + '\n')
}
