// `novacron models train consensus-latency --data DIR`: GBDT on log(next p99 / EWMA p99) from the simulator
// rows of NovaCron's own protocols (scripts/consensus-latency-data.ts), split by configuration, against the
// last value, the EWMA and least squares on RTT × message delays; the card carries both tables.
import { readLatencyRows, INTERVAL_MS, LATENCY_GRID, EWMA_ALPHA } from '../data/consensus-sim.ts'
import { LATENCY_FEATURES, LATENCY_PROTOCOLS, MESSAGE_DELAYS, encodeLatency } from '../features/consensus-latency.ts'
import type { ManifestEntry } from '../manifest.ts'
import { bySourceMarkdown } from '../tasks/by-source.ts'
import { CONSENSUS_BY_SOURCE_COLUMNS } from '../tasks/consensus.ts'
import { FOLD_ROUNDS, LATENCY_GBDT, evaluateLatency, fitBaselines, latencyBySource, modelPredictMs, partOfRow, type LatencyEval } from '../tasks/consensus-latency.ts'
import { predict } from './gbdt.ts'
import { mdTable, publish, rowsReference } from './publish.ts'
import type { TrainOptions } from './reliability.ts'
import { exportRegressor } from './tree-onnx.ts'

/** The best baseline on the held-out configurations: the guard's baseline in the node. */
export function bestBaseline (ev: LatencyEval): string {
  return Object.entries(ev.metrics.baselines).sort((a, b) => a[1].mape - b[1].mape)[0][0]
}

export async function trainConsensusLatency (opts: TrainOptions): Promise<{ entry: ManifestEntry, evaluation: LatencyEval }> {
  const seed = opts.seed ?? 1
  const all = readLatencyRows(opts.dataDir)
  const rows = opts.quick === true ? all.filter((_, i) => i % 3 === 0) : all
  const sim = rows.filter(r => r.source === 'sim')
  const tr = sim.filter(r => partOfRow(r) === 'train')
  const va = sim.filter(r => partOfRow(r) === 'valid')
  const te = sim.filter(r => partOfRow(r) === 'test')
  const { trainLatencyModel } = await import('../tasks/consensus-latency.ts')
  const model = trainLatencyModel(tr, { ...LATENCY_GBDT, rounds: opts.quick === true ? 5 : LATENCY_GBDT.rounds, seed }, va)
  const baselines = fitBaselines(tr)
  const evaluation = evaluateLatency(te, te.map(r => modelPredictMs(model, r)), baselines)
  const guardBaseline = bestBaseline(evaluation)
  const bytes = exportRegressor(model, { name: 'consensus-latency', doc: 'next-interval p99 commit latency of a NovaCron protocol, as a ratio to the EWMA of past p99s', input: 'features', output: 'ratio', expOutput: true })
  const bySource = opts.quick === true ? null : latencyBySource(rows, opts.dataDir, seed)
  const m = evaluation.metrics
  const sets: Array<[string, typeof m.model]> = [['model (GBDT on log ratio to EWMA)', m.model], ...Object.entries(m.baselines).map(([k, v]) => [k, v] as [string, typeof v])]
  const wins = bySource?.folds.filter(f => f.modelWins).map(f => f.source) ?? []
  const losses = bySource?.folds.filter(f => !f.modelWins).map(f => f.source) ?? []
  const goal = bySource?.folds.filter(f => (f.model.mape as number) <= 0.25).map(f => f.source) ?? []
  const sources = [...new Set(rows.map(r => r.source))]
  // What the set holds, read from the rows (the set is regenerated, not committed): configurations per protocol and seeds.
  const simConfigs = (p: string): number => new Set(sim.filter(r => r.protocol === p).map(r => r.config)).size
  const simSeeds = new Set(sim.map(r => r.seed)).size
  const devnetProtocols = LATENCY_PROTOCOLS.filter(p => rows.some(r => r.source === 'devnet' && r.protocol === p))
  const perProtocol = [...new Set(LATENCY_PROTOCOLS.map(simConfigs))]
  const protocolList = LATENCY_PROTOCOLS.length > 1 ? `${LATENCY_PROTOCOLS.slice(0, -1).join(', ')} or ${LATENCY_PROTOCOLS[LATENCY_PROTOCOLS.length - 1]}` : LATENCY_PROTOCOLS.join('')
  const card = `# Model card: consensus-latency

Predicts the p99 commit latency (ms) of the next ${INTERVAL_MS / 1000}-second interval of a NovaCron cluster running ${protocolList}, from what one
node observes. The node may raise its view-change (PBFT) / leader (Bullshark) timeout above the genesis value from it, never lower it, behind
the guard (src/node/adaptive-timeout.ts; what that does under jitter, and what it costs with a silent leader: bench/consensus-timeouts.md).

- **Model**: gradient-boosted trees (${model.trees.length} trees, depth ≤ ${LATENCY_GBDT.maxDepth}) on log(next p99 / EWMA of past p99s), exported as
  ai.onnx.ml \`TreeEnsembleRegressor\` + \`Exp\` (input \`features\` [N, ${LATENCY_FEATURES.length}], output \`ratio\` [N, 1]; ms = ratio × EWMA). The trees
  are also in \`consensus-latency-trees.json\` so the simulator bench can run them synchronously in virtual time.
- **Inputs** (\`src/ml/features/consensus-latency.ts\`): protocol (one-hot), n, batch size, payload bytes, load (tx/s), ping RTT p50/p90 to
  peers, RTT p90 × the protocol's message delays (${Object.entries(MESSAGE_DELAYS).map(([k, v]) => `${k} ${v}`).join(', ')}, others 4), loss, and the last interval's p50/p99 and the
  EWMA (α ${EWMA_ALPHA}) of past p99s. The adversary is not an input: a node cannot see it, only its effect on the latencies it measures.
- **Data**: ${sources.join(' + ')} rows: ${rows.length} intervals of ${new Set(rows.map(r => r.config)).size} configurations. The simulator grid (\`src/ml/data/consensus-sim.ts\`):
  n ${LATENCY_GRID.n.join('/')}, batch ${LATENCY_GRID.batchSize.join('/')}, payload ${LATENCY_GRID.txBytes.join('/')} B, load ${LATENCY_GRID.rateTxS.join('/')} tx/s,
  latency scale ${LATENCY_GRID.latencyScale.join('/')} on the WonderNetwork RTTs, jitter spikes ${LATENCY_GRID.jitter.map(([c, ms]) => `${c}×${ms} ms`).join(' / ')}, loss ${LATENCY_GRID.loss.join('/')},
  link ${LATENCY_GRID.bytesPerMs.map(b => `${b * 8 / 1000} Mbit/s`).join('/')}, adversary ${LATENCY_GRID.adversary.join('/')} (f nodes; the first primary among them on odd seeds).
  This set: ${LATENCY_PROTOCOLS.map(p => `${p} ${simConfigs(p)}`).join(', ')} simulator configurations, ${simSeeds} seed${simSeeds === 1 ? '' : 's'} each${devnetProtocols.length > 0 ? `; devnet runs of ${devnetProtocols.join(', ')} (\`scripts/consensus-latency-devnet.ts\`, 4 nodes on loopback)` : ''}.
  The set is not committed: \`npm run data:consensus-latency [-- --protocol P --per-protocol K --seeds S]\` regenerates it into \`.scratch/consensus-latency/\` (gitignored);
  \`test/fixtures/consensus-latency/\` is a small slice for the tests. Rows pool the honest nodes' own submissions (submission to that node's apply).
- **Split**: by configuration (all seeds and intervals of one configuration in one part): 70% train, 10% validation (early stopping), 20% test:
  ${evaluation.configurations} held-out configurations, ${evaluation.samples} intervals.
- **Seed**: ${seed}. Reproduce: ${perProtocol.length === 1 ? `\`for p in ${LATENCY_PROTOCOLS.join(' ')}; do npm run data:consensus-latency -- --protocol $p --per-protocol ${perProtocol[0]} --seeds ${simSeeds}; done\`` : '`npm run data:consensus-latency`'}${devnetProtocols.length > 0 ? ', `npx node scripts/consensus-latency-devnet.ts`' : ''}, then \`novacron models train consensus-latency --data .scratch/consensus-latency\`;
  check: \`novacron models eval consensus-latency --data .scratch/consensus-latency [--by-source]\`.

## Held-out results (test configurations)

${mdTable(['', 'MAPE', 'MAE (ms)', 'within ±20%'], sets.map(([n, s]) => [n, s.mape, s.maeMs, s.within20]))}

Baselines: *lastValue* the last interval's p99, *ewma* the EWMA of past p99s, *linearRtt* least squares of the next p99 on RTT p50 and p90 ×
the protocol's message delays. The guard's baseline in the node is the best of them here: **${guardBaseline}**.

## Leave-one-configuration-group-out

${bySource == null ? 'Not run in a quick run.' : `Each group (a protocol, a cluster size${sources.length > 1 ? ', the devnet runs' : ''}) left out of training in turn: the GBDT (${FOLD_ROUNDS} rounds, no early stopping) and the
fitted baselines trained on the simulator rows outside it, scored on every row in it. Seed ${seed}.

${bySourceMarkdown(bySource, CONSENSUS_BY_SOURCE_COLUMNS)}

The model beats its best baseline on ${wins.length} of ${bySource.folds.length} groups${losses.length > 0 ? ` and **loses on ${losses.join(', ')}**` : ''}; MAPE ≤ 0.25 (the goal) on ${goal.length === 0 ? 'none' : goal.join(', ')}.
${losses.length > 0 ? 'Where it loses, the guard starts with the baseline in charge of the timeout (startFromManifest) and hands it to the model only after the model wins online.' : 'The guard starts with the model in charge and scores both online.'}`}

## Limits

A p99 over one interval of a few dozen commits is noisy: repeated seeds of one configuration differ a lot near a view change, which bounds
any model's MAPE. The simulator has no CPU cost and no queueing on links; devnet runs on loopback measure CPU, not the network.
`
  const refRows = (te.length > 0 ? te : rows).slice(0, 10).map(encodeLatency)
  const entry = await publish(opts.outDir, {
    name: 'consensus-latency',
    bytes,
    features: LATENCY_FEATURES,
    data: opts.dataDir.includes('.scratch') ? '.scratch/consensus-latency (npm run data:consensus-latency)' : opts.dataDir,
    split: 'by configuration: 70% train, 10% validation, 20% test',
    seed,
    metrics: { model: { ...m.model }, ...Object.fromEntries(Object.entries(m.baselines).map(([k, v]) => [k, { ...v }])) },
    card,
    extraFiles: opts.quick === true ? {} : { 'consensus-latency-trees.json': JSON.stringify(model) + '\n' },
    baselineParams: { ...baselines, ewmaAlpha: EWMA_ALPHA, guardBaseline },
    ...(bySource != null ? { bySource } : {}),
    reference: rowsReference('features', 'ratio', refRows, r => [Math.exp(predict(model, r)[0])])
  })
  return { entry, evaluation }
}
