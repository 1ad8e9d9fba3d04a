// Where the simulator suites find real RTTs: ../shared/data's WonderNetwork pings, or without them the small
// matrix derived from them in test/fixtures (nothing skips; under NOVACRON_REQUIRE_DATA=1 the full set must be
// there). The seed plans live in src/consensus/sim/suites.ts.
import assert from 'node:assert/strict'
import { FULL_PINGS_CSV, simPings } from '../../src/consensus/sim/pings.ts'
import { runSuite, suiteSizesOf, type SuiteSeedSummary } from '../../src/consensus/sim/suites.ts'
import type { SimProtocolName } from '../../src/consensus/sim/protocols.ts'

export function pingsCsv (): string {
  const pings = simPings()
  if (!pings.full) {
    if (process.env.NOVACRON_REQUIRE_DATA === '1') throw new Error(`NOVACRON_REQUIRE_DATA=1 but the pings data set is not at ${FULL_PINGS_CSV}`)
    console.log(`# the full pings data set is absent (${FULL_PINGS_CSV}): simulating on the 16-server fixture ${pings.path}`)
  }
  return pings.path
}

/**
 * Runs a protocol's seeds and asserts what every suite promises: each seed passes all four checkers, each
 * commits at least 200 transactions, and every cluster size is covered. Returns the results for the
 * protocol's own checks.
 */
export async function runAndCheckSuite (protocol: SimProtocolName, count: number, first: number, pings: string | null, workers: number): Promise<SuiteSeedSummary[]> {
  const seeds = Array.from({ length: count }, (_, i) => first + i)
  const started = performance.now()
  const results = await runSuite(protocol, seeds, pings, workers)
  const p50s = results.map((r) => r.latencyP50Ms).sort((a, b) => a - b)
  console.log(`# ${results.length} seeds in ${((performance.now() - started) / 1000).toFixed(1)} s on ${workers} workers; median per-seed p50 commit latency ${p50s[Math.floor(p50s.length / 2)]} ms`)
  assert.equal(results.length, count)

  const failed = results.filter((r) => r.violations.length > 0)
  for (const r of failed) console.log(`# seed ${r.seed} (n=${r.n}, ${r.adversary}) failed; replay with:\n#   ${r.replay}\n#   ${r.violations.join('\n#   ')}`)
  assert.deepEqual(failed.map((r) => r.seed), [], 'every seed passes agreement, validity, liveness and determinism')

  const few = results.filter((r) => r.txsDone < 200)
  assert.deepEqual(few.map((r) => r.seed), [], 'every seed commits at least 200 transactions')

  if (count >= suiteSizesOf(protocol).length) for (const n of suiteSizesOf(protocol)) assert.ok(results.some((r) => r.n === n), `n=${n} is covered`)
  return results
}
