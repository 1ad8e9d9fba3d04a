// `novacron models list|info|predict|eval|train`: the shipped ONNX models, queried locally (no node needed).
import { readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import type { Register } from '../main.ts'
import { NovacronError } from '../../config/errors.ts'
import { withProgress } from '../progress.ts'
import { MODEL_NAMES, SHARED_DATA_DIR, requireDir, taskFor, type EvalResult } from '../../ml/catalog.ts'
import type { BySourceResult } from '../../ml/tasks/by-source.ts'
import type { ModelGuardJson } from '../../api/types.ts'
import { DEFAULT_MODELS_DIR, type ManifestEntry } from '../../ml/manifest.ts'
import { ModelRegistry } from '../../ml/registry.ts'

export function listJson (entries: ManifestEntry[]): Array<Pick<ManifestEntry, 'name' | 'version' | 'sha256' | 'inputs' | 'outputs'>> {
  return entries.map(e => ({ name: e.name, version: e.version, sha256: e.sha256, inputs: e.inputs, outputs: e.outputs }))
}

const shape = (t: { name: string, shape: Array<number | string> }): string => `${t.name}[${t.shape.join(',')}]`

function renderList (rows: ReturnType<typeof listJson>): string {
  if (rows.length === 0) return '(no models shipped)'
  return rows.map(r => `${r.name.padEnd(12)} ${r.version}  ${r.sha256.slice(0, 12)}  ${r.inputs.map(shape).join(' ')} -> ${r.outputs.map(shape).join(' ')}`).join('\n')
}

/** The card's held-out section: what `info` shows beside the manifest entry. */
export function heldOutTable (dir: string, entry: ManifestEntry): string {
  let card: string
  try {
    card = readFileSync(join(dir, entry.card), 'utf8')
  } catch {
    return ''
  }
  const start = card.indexOf('## Held-out')
  if (start < 0) return ''
  const next = card.indexOf('\n## ', start + 3)
  return card.slice(start, next < 0 ? undefined : next).trim()
}

function renderMetrics (r: EvalResult): string {
  const rows: Array<[string, Record<string, unknown>]> = [['model', r.metrics.model], ...Object.entries(r.metrics.baselines)]
  const keys = [...new Set(rows.flatMap(([, m]) => Object.keys(m)))]
  const cell = (v: unknown): string => typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v == null ? '-' : JSON.stringify(v)
  return [
    `${r.model} on ${r.data} (${r.scope}): ${r.samples} samples`,
    ['', ...keys].map((k, i) => i === 0 ? ''.padEnd(22) : k.padStart(14)).join(' '),
    ...rows.map(([name, m]) => [name.padEnd(22), ...keys.map(k => cell(m[k]).padStart(14))].join(' '))
  ].join('\n')
}

function renderBySource (r: BySourceResult): string {
  const keys = [...new Set(r.folds.flatMap(f => Object.keys(f.model)))].filter(k => typeof r.folds[0].model[k] === 'number')
  const head = `${r.model}: leave-one-source-out on ${r.data} (source = ${r.sourceKind}; winner by ${r.metric}; seed ${r.seed})`
  const lines = r.folds.flatMap(f => [
    `${f.source} (${f.groups} groups, ${f.samples} samples): model ${f.modelWins ? 'wins' : `loses to ${f.bestBaseline}`}`,
    ...[['model', f.model] as const, ...Object.entries(f.baselines)].map(([n, m]) => `  ${n.padEnd(22)} ${keys.map(k => `${k} ${typeof m[k] === 'number' ? (m[k] as number).toFixed(4) : JSON.stringify(m[k] ?? '-')}`).join('  ')}${'relativeToOracle' in m ? '  ' + JSON.stringify(m.relativeToOracle) : ''}`)
  ])
  return [head, ...lines].join('\n')
}

/** The model's guard on the node of this data dir (or --node), or null when no node answers. */
async function liveGuard (context: Parameters<Register>[1], name: string): Promise<ModelGuardJson | null> {
  try {
    const states = await context().client().request<ModelGuardJson[]>('GET', '/v1/models', undefined, 'json', 2000)
    return states.find(s => s.model === name) ?? null
  } catch {
    return null
  }
}

export function parseInputJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new NovacronError('usage', `--input is not valid JSON: ${(err as Error).message}`)
  }
}

async function withRegistry<T> (fn: (r: ModelRegistry) => Promise<T>, dir = DEFAULT_MODELS_DIR): Promise<T> {
  const registry = new ModelRegistry(dir)
  try {
    return await fn(registry)
  } finally {
    await registry.close()
  }
}

export const registerModels: Register = (program, context) => {
  const models = program.command('models')
    .description('list, query, evaluate and train the ONNX models (bandwidth, compression, reliability, consensus latency)')
    .addHelpText('after', `
Example:
  $ novacron models list --json
  $ novacron models predict reliability --input '{"hoursSinceLastFailure":30,"uptimeHours":30,"failures1d":0,"failures7d":2,"failures30d":5,"mtbfHours":120,"downFraction7d":0.01,"lastOutageHours":0.1,"historyDays":200}'`)

  models.command('list')
    .description('the shipped models: name, version, sha256, input and output shapes')
    .addHelpText('after', '\nExample:\n  $ novacron models list --json | jq \'.[].name\'')
    .action(() => {
      const registry = new ModelRegistry()
      context().print(listJson(registry.list()), renderList)
    })

  models.command('info')
    .argument('<name>', `model name (${MODEL_NAMES.join(', ')})`)
    .description('one model\'s manifest entry and its model card\'s held-out table')
    .addHelpText('after', '\nExample:\n  $ novacron models info reliability')
    .action(async (name: string) => {
      const registry = new ModelRegistry()
      const entry = registry.entry(name)
      const heldOut = heldOutTable(registry.dir, entry)
      const { reference: _reference, baselineParams, bySource, ...rest } = entry
      // The list of training trace ids is for `eval`, not for reading.
      const params = baselineParams == null ? undefined : Object.fromEntries(Object.entries(baselineParams).map(([k, v]) => [k, Array.isArray(v) && v.length > 20 ? `${v.length} entries` : v]))
      const live = await liveGuard(context, name)
      const leftOut = bySource == null ? null : bySource.folds.map(f => ({ source: f.source, modelWins: f.modelWins, bestBaseline: f.bestBaseline }))
      context().print({ ...rest, ...(params != null ? { baselineParams: params } : {}), heldOut, bySource: leftOut, live }, (v: typeof rest & { heldOut: string, bySource: typeof leftOut, live: typeof live }) =>
        `${v.name} ${v.version}  sha256 ${v.sha256}\ninputs  ${v.inputs.map(shape).join(' ')}\noutputs ${v.outputs.map(shape).join(' ')}\nfeatures ${v.features.join(', ')}\ndata    ${v.data}\nsplit   ${v.split}\n` +
        `left-out sources ${v.bySource == null ? '(none shipped)' : v.bySource.map(f => `${f.source} ${f.modelWins ? 'won' : `lost to ${f.bestBaseline}`}`).join(', ')}\n` +
        `live    ${v.live == null ? 'no running node to ask' : `${v.live.inCharge} in charge (model ${v.live.modelLoss ?? '-'} vs ${v.live.baseline} ${v.live.baselineLoss ?? '-'} over ${v.live.samples} observations): ${v.live.reason}`}\n\n${v.heldOut}`)
    })

  models.command('predict')
    .argument('<name>', `model name (${MODEL_NAMES.join(', ')})`)
    .requiredOption('--input <json>', 'the model\'s input as JSON (see `models info NAME` for the fields)')
    .description('run one prediction (or a JSON array of inputs as one batch)')
    .addHelpText('after', `
Example:
  $ novacron models predict compression --input '{"file":"disk.img","bandwidthMbps":100,"rttMs":20}'
  $ novacron models predict bandwidth --input '{"history":[{"mbps":5.1,"rttMs":40},{"mbps":4.8,"rttMs":42}]}'`)
    .action(async (name: string, opts: { input: string }) => {
      const task = await taskFor(name)
      const input = parseInputJson(opts.input)
      const output = await withRegistry(r => { r.entry(name); return task.predict(r, input) })
      context().print({ model: name, output }, (v: { output: unknown }) => JSON.stringify(v.output, null, 2))
    })

  models.command('eval')
    .argument('<name>', `model name (${MODEL_NAMES.join(', ')})`)
    .requiredOption('--data <dir>', 'a directory in one of the formats the pipeline reads (FTA archive or a folder of them; `time_s Mbit/s` traces or 5Gophers CSV; files; HotStuff summaries)')
    .option('--by-source', 'leave-one-source-out: train one fold per source (site, data set, corpus/kind, protocol) and score the one left out')
    .option('--seed <n>', 'random seed of the folds (with --by-source)', '1')
    .description('held-out evaluation of the model and its baselines (the model card\'s table)')
    .addHelpText('after', '\nExample:\n  $ novacron models eval reliability --data ../shared/data/reliability/grid5000-fta --json\n  $ novacron models eval bandwidth --data ../shared/data/bandwidth --by-source')
    .action(async (name: string, opts: { data: string, bySource?: boolean, seed: string }) => {
      const task = await taskFor(name)
      const dir = requireDir(resolve(opts.data), 'data directory')
      const ctx = context()
      if (opts.bySource === true) {
        const seed = Number(opts.seed)
        if (!Number.isInteger(seed)) throw new NovacronError('usage', `--seed must be an integer, got ${opts.seed}`)
        const result = await task.evaluateBySource(dir, { seed, log: (m) => process.stderr.write(m + '\n') })
        ctx.print(result, renderBySource)
        return
      }
      const result = await withProgress(ctx, `evaluating ${name} on ${dir}`, async () => await withRegistry(r => { r.entry(name); return task.evaluate(r, dir) }))
      ctx.print(result, renderMetrics)
    })

  models.command('train')
    .argument('<name>', `model name (${MODEL_NAMES.join(', ')})`)
    .option('--data <dir>', 'training data (default: ../shared/data/<the model\'s data set>)')
    .option('--out <dir>', 'where to write NAME.onnx, manifest.json and NAME.md', DEFAULT_MODELS_DIR)
    .option('--seed <n>', 'random seed', '1')
    .option('--quick', 'a few steps on a small slice (a smoke test, not a model to ship)')
    .option('--init-from <dir>', 'start from the weights of the model in this models directory (bandwidth)')
    .description('train a model from real data (seeded) and write its ONNX file, manifest entry and model card')
    .addHelpText('after', '\nExample:\n  $ novacron models train reliability --out /tmp/models')
    .action(async (name: string, opts: { data?: string, out: string, seed: string, quick?: boolean, initFrom?: string }) => {
      const task = await taskFor(name)
      const seed = Number(opts.seed)
      if (!Number.isInteger(seed)) throw new NovacronError('usage', `--seed must be an integer, got ${opts.seed}`)
      const dataDir = requireDir(opts.data != null ? resolve(opts.data) : join(SHARED_DATA_DIR, task.dataSet), 'data directory')
      const outDir = isAbsolute(opts.out) ? opts.out : resolve(opts.out)
      const initFrom = opts.initFrom != null ? requireDir(resolve(opts.initFrom), '--init-from directory') : undefined
      const { entry } = await task.train({ dataDir, outDir, seed, quick: opts.quick === true, initFrom, log: (m) => process.stderr.write(m + '\n') })
      context().print({ model: name, out: outDir, file: entry.file, sha256: entry.sha256, metrics: entry.metrics }, (v: { file: string, out: string, metrics: unknown }) => `wrote ${join(v.out, v.file)}\n${JSON.stringify(v.metrics, null, 2)}`)
    })
}
