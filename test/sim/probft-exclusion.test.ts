// The minority-proposal + view-change exclusion attack (design note PROBFT.md 4) against ProBFT builds with
// parts of the hardening switched off, on the network where it is strongest: f faulty replicas, the first
// leader among them, no partition, crash or loss. The agreement checker must catch the build without H1
// (proposal forwarding) and H4 (catch-up), and find nothing in the hardened build; with only one of the two
// off the other closes the hole in this engine (H1: the replicas left out adopt the leader's header from the
// minority's prepares and carry prepared certificates into the view change; H4: they take the minority's
// decisions from its commit certificates while changing view, before the next leader refills those slots).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Message } from '../../src/consensus/core/message.ts'
import type { Protocol } from '../../src/consensus/core/protocol.ts'
import { buildProbft } from '../../src/consensus/probft/module.ts'
import type { ProbftHardening } from '../../src/consensus/probft/variant.ts'
import { runChecked } from '../../src/consensus/sim/run-checked.ts'
import { scenarioFor } from '../../src/consensus/sim/scenario.ts'
import type { Scenario } from '../../src/consensus/sim/scenario.ts'
import { pingsCsv } from './suite.ts'

const pings = pingsCsv()
/** Seeds per build; n = 7, so the leader feeds 2 honest replicas and the next leader's 5 view-changes
 *  can come from the 3 left out and the 2 faulty. */
const EXCLUSION_SEEDS = 4
const N = 7

function exclusionScenario (seed: number): Scenario {
  const base = scenarioFor({ protocol: 'probft', seed, n: N, adversary: 'minority-proposal' })
  const f = Math.floor((N - 1) / 3)
  const byzantine = [0, ...Array.from({ length: f - 1 }, (_, i) => N - 1 - i)].sort((a, b) => a - b)
  const stabilizeAtMs = base.submitUntilMs + 500
  return { ...base, byzantine, partitions: [], crashes: [], loss: 0, duplicate: 0, reorder: 0, stabilizeAtMs, maxTimeMs: stabilizeAtMs + 60_000 }
}

function violations (hardening: boolean | Partial<ProbftHardening>): string[][] {
  const create = (keys: Parameters<typeof buildProbft>[0], params: Parameters<typeof buildProbft>[1]): Protocol<Message> =>
    buildProbft(keys, params, hardening).replica as unknown as Protocol<Message>
  return Array.from({ length: EXCLUSION_SEEDS }, (_, seed) => runChecked(exclusionScenario(seed), { pingsCsv: pings, create }, false).violations)
}

const agreement = (runs: string[][]): number => runs.filter((v) => v.some((x) => x.startsWith('agreement:'))).length

test('the agreement checker catches the exclusion attack on ProBFT without the hardening', () => {
  const runs = violations(false)
  assert.ok(agreement(runs) > 0, 'no agreement violation over the seeds')
})

test('the agreement checker catches the exclusion attack on ProBFT without H1 and H4 (H2 on)', () => {
  const runs = violations({ proposalForwarding: false, catchUp: false })
  assert.ok(agreement(runs) > 0, 'no agreement violation over the seeds')
})

test('hardened ProBFT passes every checker under the same attack', () => {
  assert.deepEqual(violations(true), Array.from({ length: EXCLUSION_SEEDS }, () => []))
})

test('either H1 or H4 alone keeps agreement under the exclusion attack', () => {
  assert.equal(agreement(violations({ proposalForwarding: false })), 0, 'catch-up alone did not hold')
  assert.equal(agreement(violations({ catchUp: false })), 0, 'proposal forwarding alone did not hold')
})
