// Writes a trained model where the registry expects it: the .onnx file, its manifest entry (sha256 and
// I/O shapes read back from the file by onnxruntime, so the manifest describes what was written) and card.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ort from '../ort.ts'
import { sha256Hex, writeManifestEntry, type ManifestEntry, type TensorSpec } from '../manifest.ts'
import { ML_OPSET, OPSET } from '../onnx/builder.ts'

export interface Publication {
  name: string
  bytes: Uint8Array
  features: string[]
  data: string
  split: string
  seed: number
  metrics: ManifestEntry['metrics']
  card: string
  extraFiles?: Record<string, string>
  baselineParams?: Record<string, unknown>
  dataSha256?: string
  reference?: ManifestEntry['reference']
  bySource?: ManifestEntry['bySource']
}

function specs (meta: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return meta.map(m => {
    if (!m.isTensor) throw new Error(`${m.name} is not a tensor`)
    return { name: m.name, shape: m.shape.map(d => typeof d === 'number' && d >= 0 ? d : 'N'), type: m.type === 'int64' ? 'int64' : 'float32' }
  })
}

export async function publish (outDir: string, p: Publication): Promise<ManifestEntry> {
  mkdirSync(outDir, { recursive: true })
  const session = await ort.InferenceSession.create(p.bytes)
  const entry: ManifestEntry = {
    name: p.name,
    version: new Date().toISOString().slice(0, 10),
    file: `${p.name}.onnx`,
    sha256: sha256Hex(p.bytes),
    inputs: specs(session.inputMetadata),
    outputs: specs(session.outputMetadata),
    opset: p.bytes.length > 0 ? { '': OPSET, 'ai.onnx.ml': ML_OPSET } : {},
    features: p.features,
    data: p.data,
    split: p.split,
    seed: p.seed,
    metrics: p.metrics,
    card: `${p.name}.md`,
    ...(p.baselineParams != null ? { baselineParams: p.baselineParams } : {}),
    ...(p.dataSha256 != null ? { dataSha256: p.dataSha256 } : {}),
    ...(p.bySource != null ? { bySource: p.bySource } : {}),
    ...(p.reference != null ? { reference: p.reference } : {})
  }
  await session.release()
  writeFileSync(join(outDir, entry.file), p.bytes)
  writeFileSync(join(outDir, entry.card), p.card)
  for (const [file, text] of Object.entries(p.extraFiles ?? {})) writeFileSync(join(outDir, file), text)
  writeManifestEntry(outDir, entry)
  return entry
}

/** A markdown table; numbers get four significant decimals at most. */
export function mdTable (headers: string[], rows: Array<Array<string | number>>): string {
  const cell = (v: string | number): string => typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map(r => `| ${r.map(cell).join(' | ')} |`)].join('\n')
}

/** Reference rows for a one-input, one-output model: the TypeScript forward pass on fixed inputs. */
export function rowsReference (input: string, output: string, rows: ArrayLike<number>[], forward: (row: ArrayLike<number>) => number[]): NonNullable<ManifestEntry['reference']> {
  const outs = rows.map(r => forward(r))
  return {
    feeds: { [input]: { data: rows.flatMap(r => Array.from(r)), dims: [rows.length, rows[0].length] } },
    outputs: { [output]: { data: outs.flat(), dims: [rows.length, outs[0].length] } }
  }
}
