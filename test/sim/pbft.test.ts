// PBFT in the deterministic simulator: hundreds of seeds over n = 4, 7, 10 with every adversary, crashes
// and restarts, lossy links and healing partitions; agreement, validity, liveness and determinism on each.
// NOVACRON_SIM_SEEDS and NOVACRON_SIM_FIRST_SEED widen the run (npm run sim:soak).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { ADVERSARIES } from '../../src/consensus/sim/scenario.ts'
import { runSuite } from '../../src/consensus/sim/suites.ts'
import { pingsCsv } from './suite.ts'

const SEEDS = Number(process.env.NOVACRON_SIM_SEEDS ?? 504)
const FIRST = Number(process.env.NOVACRON_SIM_FIRST_SEED ?? 0)
const WORKERS = Math.max(2, Math.min(availableParallelism(), 8))

const data = pingsCsv()

test(`pbft survives ${SEEDS} simulated seeds with all four checkers`, { skip: data.skip, timeout: 30 * 60_000 }, async () => {
  const seeds = Array.from({ length: SEEDS }, (_, i) => FIRST + i)
  const started = performance.now()
  const results = await runSuite('pbft', seeds, data.path, WORKERS)
  console.log(`# ${results.length} seeds in ${((performance.now() - started) / 1000).toFixed(1)} s on ${WORKERS} workers`)
  assert.equal(results.length, SEEDS)

  const failed = results.filter((r) => r.violations.length > 0)
  for (const r of failed) console.log(`# seed ${r.seed} (n=${r.n}, ${r.adversary}) failed; replay with:\n#   ${r.replay}\n#   ${r.violations.join('\n#   ')}`)
  assert.deepEqual(failed.map((r) => r.seed), [], 'every seed passes agreement, validity, liveness and determinism')

  const few = results.filter((r) => r.txsDone < 200)
  assert.deepEqual(few.map((r) => r.seed), [], 'every seed commits at least 200 transactions')

  for (const n of [4, 7, 10]) assert.ok(results.some((r) => r.n === n), `n=${n} is covered`)
  for (const adversary of ADVERSARIES) {
    if (adversary === 'none') continue
    const forced = results.filter((r) => r.adversary === adversary && r.cleanNetwork && r.maxView > 0)
    assert.ok(forced.length > 0, `adversary ${adversary} forces a view change on a clean network in some seed`)
  }
  assert.ok(results.some((r) => r.stateTransfers > 0), 'some seed exercises state transfer')
  assert.ok(results.some((r) => r.badSignatureDrops > 0), 'bad signatures are dropped and counted')
})
