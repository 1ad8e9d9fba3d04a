// PBFT in the deterministic simulator: hundreds of seeds over n = 4, 7, 10 with every adversary, crashes
// and restarts, lossy links and healing partitions; agreement, validity, liveness and determinism on each.
// NOVACRON_SIM_SEEDS and NOVACRON_SIM_FIRST_SEED widen the run (npm run sim:soak).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { ADVERSARIES } from '../../src/consensus/sim/scenario.ts'
import { pingsCsv, runAndCheckSuite } from './suite.ts'

const SEEDS = Number(process.env.NOVACRON_SIM_SEEDS ?? 504)
const FIRST = Number(process.env.NOVACRON_SIM_FIRST_SEED ?? 0)
const WORKERS = Math.max(2, Math.min(availableParallelism(), 8))

const pings = pingsCsv()

test(`pbft survives ${SEEDS} simulated seeds with all four checkers`, { timeout: 30 * 60_000 }, async () => {
  const results = await runAndCheckSuite('pbft', SEEDS, FIRST, pings, WORKERS)
  for (const adversary of ADVERSARIES) {
    if (adversary === 'none') continue
    const forced = results.filter((r) => r.adversary === adversary && r.cleanNetwork && r.maxView > 0)
    assert.ok(forced.length > 0, `adversary ${adversary} forces a view change on a clean network in some seed`)
  }
  assert.ok(results.some((r) => r.stateTransfers > 0), 'some seed exercises state transfer')
  assert.ok(results.some((r) => r.badSignatureDrops > 0), 'bad signatures are dropped and counted')
})
