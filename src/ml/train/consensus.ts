// `novacron models train consensus`: GBDT on log latency (exported with Exp, so the output is ms) from
// HotStuff-family benchmark runs on AWS, split by configuration, against linear regression.
import { CONSENSUS_FEATURES, CONSENSUS_PROTOCOLS } from '../features/consensus.ts'
import { readHotstuffRuns } from '../data/hotstuff.ts'
import type { ManifestEntry } from '../manifest.ts'
import { CONSENSUS_BY_SOURCE_COLUMNS, consensusBySource, consensusRows, evaluateConsensus, pick, type ConsensusEval } from '../tasks/consensus.ts'
import { bySourceMarkdown } from '../tasks/by-source.ts'
import { DEFAULT_PARAMS, predict, train, type GbdtParams } from './gbdt.ts'
import { fitLinear } from './linear.ts'
import { mdTable, publish, rowsReference } from './publish.ts'
import { lineChart } from './svg.ts'
import { exportRegressor } from './tree-onnx.ts'
import type { TrainOptions } from './reliability.ts'

export const CONSENSUS_GBDT: GbdtParams = { ...DEFAULT_PARAMS, loss: 'squared', rounds: 400, learningRate: 0.05, maxDepth: 3, minChildWeight: 3, lambda: 1, subsample: 0.9, seed: 1 }

export async function trainConsensus (opts: TrainOptions): Promise<{ entry: ManifestEntry, evaluation: ConsensusEval }> {
  const seed = opts.seed ?? 1
  const runs = readHotstuffRuns(opts.dataDir)
  const used = opts.quick === true ? runs.filter((_, i) => i % 4 === 0) : runs
  const rows = consensusRows(used)
  const tr = pick(rows, 'train')
  const va = pick(rows, 'valid')
  const te = pick(rows, 'test')
  const params: GbdtParams = {
    ...CONSENSUS_GBDT, rounds: opts.quick === true ? 5 : CONSENSUS_GBDT.rounds, seed,
    valid: va.x.length > 0 ? { x: va.x, y: Float64Array.from(va.y, Math.log) } : undefined,
    patience: 40
  }
  const model = train(tr.x, Float64Array.from(tr.y, Math.log), params)
  const baselines = { linear: fitLinear(tr.x, tr.y), logLinear: fitLinear(tr.x, tr.y.map(Math.log)) }
  const forward = (r: ArrayLike<number>): number[] => [Math.exp(predict(model, r)[0])]
  const testConfigs = new Set(used.filter((_, i) => rows.part[i] === 'test').map(r => r.file))
  const evaluation = evaluateConsensus(te, testConfigs.size, te.x.map(r => forward(r)[0]), baselines)
  const bytes = exportRegressor(model, { name: 'consensus', doc: 'consensus commit latency (ms) of a HotStuff-family protocol', input: 'features', output: 'latencyMs', expOutput: true })
  const m = evaluation.metrics
  const sets: Array<[string, typeof m.model]> = [['model (GBDT on log latency)', m.model], ['linear regression', m.baselines.linearRegression], ['log-linear regression', m.baselines.logLinearRegression]]
  const svg = lineChart({
    title: 'Consensus latency: predicted vs measured (held-out configurations)',
    xLabel: 'measured latency (ms)',
    yLabel: 'predicted latency (ms)',
    diagonal: true,
    series: [{ name: 'model', points: te.x.map((r, i) => [te.y[i], forward(r)[0]] as [number, number]).sort((a, b) => a[0] - b[0]) }]
  })
  const protocols = new Set(used.map(r => r.protocol))
  const bySource = protocols.size >= 2 && opts.quick !== true ? await consensusBySource(used, '../shared/data/consensus-bench/hotstuff-aws', seed) : null
  const card = `# Model card: consensus

Predicts the consensus commit latency (ms) of a BFT protocol run from its configuration. Output \`latencyMs\`.

- **Model**: gradient-boosted trees on log latency (${model.trees.length} trees, depth ≤ ${params.maxDepth}), exported as ai.onnx.ml
  \`TreeEnsembleRegressor\` followed by \`Exp\` (input \`features\` [N, ${CONSENSUS_FEATURES.length}], output \`latencyMs\` [N, 1]).
- **Inputs** (\`src/ml/features/consensus.ts\`): protocol (one-hot over ${CONSENSUS_PROTOCOLS.join(', ')}), committee size, crashed nodes,
  their share, log10 input rate. The data fixes the transaction size (512 B) and records no RTT (one geo-distributed AWS deployment), so
  neither is an input: the model could not learn their effect.
- **Data**: asonnino/hotstuff benchmark summaries (${runs.length} runs of ${new Set(runs.map(r => r.file)).size} configurations: protocol × nodes 10/20/50 × faults 0/1/3 × input rate).
  NovaCron's own protocols (PBFT, ProBFT, Bullshark, T-PBFT) are not in it yet: add this project's simulator and bench runs when they exist.
- **Split**: by configuration (one benchmark file = one configuration, all its repeated runs together): 70% train, 10% validation
  (early stopping), 20% test: ${evaluation.configurations} held-out configurations, ${evaluation.samples} runs.
- **Seed**: ${seed}. Reproduce: \`novacron models train consensus\`; check: \`novacron models eval consensus --data ../shared/data/consensus-bench/hotstuff-aws\`.

## Held-out results (test configurations)

${mdTable(['', 'MAPE', 'MAE (ms)', 'within ±20%'], sets.map(([n, s]) => [n, s.mape, s.maeMs, s.within20]))}

Baselines: ordinary least squares on the same features, on latency (*linear regression*) and on log latency (*log-linear regression*).

![predicted vs measured](consensus-scatter.svg)

## Leave-one-protocol-out

${bySource == null ? 'Not run in a quick run.' : `Per protocol: the GBDT (150 rounds, no early stopping) and both regressions fitted on the other protocols' runs, scored on every run
of the protocol left out (its one-hot column is all zeros in training, so this measures how far committee size, faults and rate carry
to an unseen protocol). Seed ${seed}; reproduce with \`novacron models eval consensus --by-source --data ../shared/data/consensus-bench/hotstuff-aws\`.

${bySourceMarkdown(bySource, CONSENSUS_BY_SOURCE_COLUMNS)}

No protocol left out gets MAPE ≤ 0.25 (the goal): a protocol's latency is mostly its own, and this model has never seen NovaCron's protocols
(PBFT, Bullshark). Nothing in the node acts on this model yet, so no guard is wired for it.`}

## Limits

Repeated runs of one configuration differ by up to 2× near saturation, which bounds any model's MAPE. Only HotStuff-family protocols on
one AWS setup: use the prediction to rank configurations, not as an absolute figure for another network.
`
  const entry = await publish(opts.outDir, {
    name: 'consensus',
    bytes,
    features: CONSENSUS_FEATURES,
    data: '../shared/data/consensus-bench/hotstuff-aws',
    split: 'by configuration (benchmark file): 70% train, 10% validation, 20% test',
    seed,
    metrics: { model: { ...m.model }, ...Object.fromEntries(Object.entries(m.baselines).map(([k, v]) => [k, { ...v }])) },
    card,
    extraFiles: { 'consensus-scatter.svg': svg },
    baselineParams: baselines,
    ...(bySource != null ? { bySource } : {}),
    reference: rowsReference('features', 'latencyMs', (te.x.length > 0 ? te.x : rows.x).slice(0, 10), forward)
  })
  return { entry, evaluation }
}
