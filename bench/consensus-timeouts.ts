// Simulated (virtual time, labelled so): spurious view changes / leader timeouts under link jitter with the
// node's adaptive timeout against the fixed genesis timeout, for every registered protocol that declares an
// adaptive timeout. Arms: fixed (the genesis value), baseline (the guard's baseline sets it), model (the
// consensus-latency model sets it), guarded (what the node runs: the guard, started from the manifest's
// leave-one-group-out verdict). Every run has the agreement, validity and liveness checkers on; a
// silent-primary run per seed shows what a longer timeout costs when a primary really is faulty (time to
// the first commit, and latencies). The jitter is heavy on purpose: per message a chance of a uniform
// 1.5–3 s spike, so that commits sometimes take longer than the genesis timeout and fixed timeouts fire
// spuriously (the case an adaptive timeout is for).
// `npm run bench:consensus-timeouts [-- --seeds 5 --submit-s 30 --spike-chance 0.03 --out FILE]`; medians over seeds.
import { readFileSync, writeFileSync } from 'node:fs'
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { PROTOCOL_MODULES } from '../src/consensus/registry.ts'
import type { Scenario } from '../src/consensus/sim/scenario.ts'
import { runScenario } from '../src/consensus/sim/simulation.ts'
import { FIXTURE_PINGS_CSV } from '../src/consensus/sim/pings.ts'
import { decodeLatency, encodeLatency } from '../src/ml/features/consensus-latency.ts'
import { ModelGuard, startFromManifest } from '../src/ml/guard.ts'
import { DEFAULT_MODELS_DIR, readManifest } from '../src/ml/manifest.ts'
import { join } from 'node:path'
import { predict, type GbdtModel } from '../src/ml/train/gbdt.ts'
import type { LinearModel } from '../src/ml/train/linear.ts'
import { AdaptiveTimeout, type LatencyPredictor } from '../src/node/adaptive-timeout.ts'

/** Seeds per protocol, size and arm (medians are over these). */
const DEFAULT_SEEDS = 5
const ARMS = ['fixed', 'baseline', 'model', 'guarded'] as const
type Arm = typeof ARMS[number]
/** The jitter every run has: per message a chance (--spike-chance) of a spike uniform in [1.5 s, 3 s], 1% loss. */
const DEFAULT_SPIKE_CHANCE = 0.03
const SPIKE_MIN_MS = 1500
const SPIKE_MAX_MS = 3000
const LOSS = 0.01
const RATE_TX_S = 30
const TX_BYTES = 1024
const BATCH = 16
const SIZES = [4, 7]

const { values } = parseArgs({ options: { seeds: { type: 'string', default: String(DEFAULT_SEEDS) }, 'submit-s': { type: 'string', default: '30' }, 'spike-chance': { type: 'string', default: String(DEFAULT_SPIKE_CHANCE) }, out: { type: 'string' }, protocol: { type: 'string' }, models: { type: 'string', default: DEFAULT_MODELS_DIR }, arms: { type: 'string' }, n: { type: 'string' } } })
const seeds = Number(values.seeds)
const submitMs = Number(values['submit-s']) * 1000
const JITTER = { latencyScale: 1, spikeChance: Number(values['spike-chance']), spikeMeanMs: (SPIKE_MIN_MS + SPIKE_MAX_MS) / 2, spikeMinMs: SPIKE_MIN_MS, spikeMaxMs: SPIKE_MAX_MS, bytesPerMs: 12_500 }
const onlyArms = values.arms == null ? ARMS : ARMS.filter(a => values.arms!.split(',').includes(a))
const sizes = values.n == null ? SIZES : values.n.split(',').map(Number)
const SHARED_PINGS = '../shared/data/latency/wondernetwork/pings-2020-07-19-2020-07-20-grouped.csv'
const pings = existsSync(SHARED_PINGS) ? SHARED_PINGS : FIXTURE_PINGS_CSV

const manifest = readManifest(values.models)
const entry = manifest.models['consensus-latency']
if (entry == null) throw new Error('models/manifest.json has no consensus-latency model: train it first')
const trees = JSON.parse(readFileSync(join(values.models, 'consensus-latency-trees.json'), 'utf8')) as GbdtModel
const bp = entry.baselineParams as { linearRtt: LinearModel, ewmaAlpha: number, guardBaseline: string }
const modelPredict: LatencyPredictor = (o) => decodeLatency(Math.exp(predict(trees, encodeLatency(o))[0]), o)

function scenario (protocol: string, n: number, seed: number, adversary: string, txs: number, until: number): Scenario {
  const sim = PROTOCOL_MODULES.find(m => m.name === protocol)!.sim
  return {
    protocol, seed, n, adversary, byzantine: adversary === 'none' ? [] : [0], realSignatures: false,
    txs, submitUntilMs: until, clientRetryMs: 4000, loss: LOSS, duplicate: 0, reorder: 0, partitions: [], crashes: [],
    stabilizeAtMs: until + 500, livenessBoundMs: 60_000, maxTimeMs: until + 90_000,
    params: { ...sim.params, batchSize: BATCH }, links: JITTER, txBytes: TX_BYTES
  }
}

interface RunFigures { spurious: number, viewChangesAll: number, violations: number, p50Ms: number, p99Ms: number, firstCommitMs: number, meanTimeoutMs: number, raisedShare: number, modelShare: number }

function run (protocol: string, n: number, seed: number, arm: Arm, adversary: string): RunFigures {
  const module = PROTOCOL_MODULES.find(m => m.name === protocol)!
  const spec = module.adaptiveTimeout!
  const params = module.params.parse(module.sim.params)
  const s = scenario(protocol, n, seed, adversary, Math.round(RATE_TX_S * submitMs / 1000), submitMs)
  // The pilot shares the seed, so its links (and the RTTs a node would ping) are the run's.
  const rtt = runScenario(scenario(protocol, n, seed, 'none', 4, 200), { pingsCsv: pings }).stats.rttMs
  const controllers = arm === 'fixed'
    ? []
    : Array.from({ length: n }, () => {
      const guard = arm === 'guarded' ? new ModelGuard('consensus-latency', { baseline: bp.guardBaseline, ...startFromManifest(entry.bySource) }) : undefined
      const c = new AdaptiveTimeout({
        protocol, n, batchSize: BATCH, ...AdaptiveTimeout.specOptions(spec, params),
        baselines: { name: bp.guardBaseline, ewmaAlpha: bp.ewmaAlpha, linearRtt: bp.linearRtt },
        ...(arm === 'baseline' ? {} : { predict: modelPredict }),
        ...(guard != null ? { guard } : {})
      })
      c.network(rtt.p50, rtt.p90, LOSS)
      return c
    })
  const submittedAt = new Map<string, number>()
  const timeouts: number[] = []
  let modelSet = 0
  let raised = 0
  let firstSubmit = Infinity
  let firstCommit = Infinity
  const result = runScenario(s, {
    pingsCsv: pings,
    ...(arm === 'fixed'
      ? {}
      : {
          timerMs: (node, id, ms) => {
            const c = controllers[node]
            const out = c.timerMs(id, ms)
            if (spec.timers.includes(id)) { const st = c.state(); timeouts.push(st.timeoutMs); if (st.setBy === 'model') modelSet++; if (st.setBy !== 'genesis') raised++ }
            return out
          }
        }),
    observer: {
      submitted: (node, key, now) => { firstSubmit = Math.min(firstSubmit, now); submittedAt.set(`${node}/${key}`, now); controllers[node]?.submitted(1, TX_BYTES, now) },
      applied: (node, keys, now) => {
        if (!s.byzantine.includes(node) && keys.length > 0) firstCommit = Math.min(firstCommit, now)
        for (const k of keys) {
          const t = submittedAt.get(`${node}/${k}`)
          if (t === undefined) continue
          submittedAt.delete(`${node}/${k}`)
          controllers[node]?.committed(now - t, now)
        }
      }
    }
  })
  const honest = n - s.byzantine.length
  // Spurious: with no faulty node, every view change (PBFT) or leader timeout (Bullshark) is one; counted once per cluster (summed over honest nodes / honest nodes).
  const changes = protocol === 'bullshark' ? (result.stats.protocolEvents['leader-timeout'] ?? 0) : result.stats.viewChanges
  return {
    spurious: adversary === 'none' ? changes / honest : NaN,
    viewChangesAll: changes / honest,
    violations: result.violations.length,
    p50Ms: result.stats.latencyP50Ms,
    p99Ms: result.stats.latencyMaxMs,
    firstCommitMs: Number.isFinite(firstCommit) ? Math.round(firstCommit - firstSubmit) : NaN,
    meanTimeoutMs: timeouts.length === 0 ? (spec.baseMs(params)) : Math.round(timeouts.reduce((a, b) => a + b, 0) / timeouts.length),
    raisedShare: timeouts.length === 0 ? 0 : Math.round(100 * raised / timeouts.length) / 100,
    modelShare: timeouts.length === 0 ? 0 : Math.round(100 * modelSet / timeouts.length) / 100
  }
}

const median = (xs: number[]): number => { const s = xs.filter(Number.isFinite).sort((a, b) => a - b); return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }

const protocols = PROTOCOL_MODULES.filter(m => m.adaptiveTimeout != null && (values.protocol == null || m.name === values.protocol)).map(m => m.name)
const rows: Array<Record<string, unknown>> = []
for (const protocol of protocols) {
  for (const n of sizes) {
    for (const arm of onlyArms) {
      const jitter = Array.from({ length: seeds }, (_, i) => run(protocol, n, 1000 + i, arm, 'none'))
      const silent = Array.from({ length: seeds }, (_, i) => run(protocol, n, 2000 + i, arm, 'silent'))
      const row = {
        protocol, n, arm,
        spuriousViewChanges: median(jitter.map(r => r.spurious)),
        spuriousSum: Math.round(10 * jitter.reduce((a, r) => a + r.spurious, 0)) / 10,
        meanTimeoutMs: median(jitter.map(r => r.meanTimeoutMs)),
        raisedShare: median(jitter.map(r => r.raisedShare)),
        modelShare: median(jitter.map(r => r.modelShare)),
        jitterP50Ms: median(jitter.map(r => r.p50Ms)),
        jitterMaxMs: median(jitter.map(r => r.p99Ms)),
        silentFirstCommitMs: median(silent.map(r => r.firstCommitMs)),
        silentPrimaryP50Ms: median(silent.map(r => r.p50Ms)),
        silentPrimaryMaxMs: median(silent.map(r => r.p99Ms)),
        violations: [...jitter, ...silent].reduce((a, r) => a + r.violations, 0),
        seeds
      }
      rows.push(row)
      process.stderr.write(`${JSON.stringify(row)}\n`)
    }
  }
}
const head = ['protocol', 'n', 'arm', 'spurious VCs', 'spurious VCs, all seeds', 'mean timeout ms', 'raised share', 'raised by model', 'jitter p50 ms', 'jitter max ms', 'silent: first commit ms', 'silent p50 ms', 'silent max ms', 'violations']
const keys = ['protocol', 'n', 'arm', 'spuriousViewChanges', 'spuriousSum', 'meanTimeoutMs', 'raisedShare', 'modelShare', 'jitterP50Ms', 'jitterMaxMs', 'silentFirstCommitMs', 'silentPrimaryP50Ms', 'silentPrimaryMaxMs', 'violations']
process.stdout.write(`SIMULATED (virtual time): ${seeds} seeds per row, medians; jitter: spikes ${JITTER.spikeChance} per message, uniform ${SPIKE_MIN_MS}–${SPIKE_MAX_MS} ms, loss ${LOSS}, ${RATE_TX_S} tx/s for ${submitMs / 1000} s, batch ${BATCH}; latency ${pings.includes('shared') ? 'WonderNetwork pings' : 'RTT fixture'}\n`)
process.stdout.write([`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map(r => `| ${keys.map(k => String(r[k])).join(' | ')} |`)].join('\n') + '\n')
const json = { simulated: true, seeds, submitS: submitMs / 1000, jitter: JITTER, loss: LOSS, rateTxS: RATE_TX_S, rows }
process.stdout.write(JSON.stringify(json) + '\n')
if (values.out != null) writeFileSync(values.out, JSON.stringify(json, null, 2) + '\n')
