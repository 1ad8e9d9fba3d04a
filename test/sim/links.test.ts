// Link conditions of a scenario: a spike range (spikeMinMs..spikeMaxMs, the timeout bench's heavy spikes)
// delays every spiked message by a value inside it, the run stays safe, and a scenario without a range keeps
// its exponential spikes (its trace differs from the ranged one on the same seed).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { scenarioFor, type Scenario } from '../../src/consensus/sim/scenario.ts'
import { runScenario } from '../../src/consensus/sim/simulation.ts'
import { pingsCsv } from './suite.ts'

const pings = pingsCsv()
const SPIKE_MS = 400

function run (links: Scenario['links']): ReturnType<typeof runScenario> {
  const s = scenarioFor({ protocol: 'pbft', seed: 3, n: 4, adversary: 'none' })
  return runScenario({ ...s, txs: 8, links }, { pingsCsv: pings })
}

test('a spike range delays every spiked message by a value inside it; without a range spikes stay exponential', () => {
  const plain = run({ latencyScale: 1, spikeChance: 0, spikeMeanMs: 0, bytesPerMs: 0 })
  const ranged = run({ latencyScale: 1, spikeChance: 1, spikeMeanMs: SPIKE_MS, spikeMinMs: SPIKE_MS, spikeMaxMs: SPIKE_MS, bytesPerMs: 0 })
  const exponential = run({ latencyScale: 1, spikeChance: 1, spikeMeanMs: SPIKE_MS, bytesPerMs: 0 })
  for (const r of [plain, ranged, exponential]) {
    assert.deepEqual(r.violations, [])
    assert.equal(r.stats.txsDone, 8)
  }
  // A PBFT commit crosses at least three message delays (pre-prepare, prepare, commit), each SPIKE_MS longer.
  assert.ok(ranged.stats.latencyP50Ms >= plain.stats.latencyP50Ms + 3 * SPIKE_MS, `${ranged.stats.latencyP50Ms} vs ${plain.stats.latencyP50Ms}`)
  assert.notEqual(ranged.traceHash, exponential.traceHash)
})
