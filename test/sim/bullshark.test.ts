// Bullshark in the deterministic simulator: seeds over n = 4, 7, 10 with every adversary (equivocating
// headers, withheld votes, too few parents, crashed or slowed anchor leaders, ...), crashes and restarts,
// lossy links and healing partitions; agreement, validity, liveness and determinism on each.
// `npm test` runs NOVACRON_SIM_SEEDS (default 528: every size/adversary pair sixteen times);
// `npm run sim:bullshark` soaks 2,000 more seeds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { BULLSHARK_ADVERSARIES } from '../../src/consensus/sim/scenario.ts'
import { runSuite } from '../../src/consensus/sim/suites.ts'
import { pingsCsv } from './suite.ts'

const SEEDS = Number(process.env.NOVACRON_SIM_SEEDS ?? 528)
const FIRST = Number(process.env.NOVACRON_SIM_FIRST_SEED ?? 0)
const WORKERS = Math.max(2, Math.min(availableParallelism(), 8))
const data = pingsCsv()

test(`bullshark survives ${SEEDS} simulated seeds with all four checkers`, { skip: data.skip, timeout: 60 * 60_000 }, async () => {
  const seeds = Array.from({ length: SEEDS }, (_, i) => FIRST + i)
  const started = performance.now()
  const results = await runSuite('bullshark', seeds, data.path, WORKERS)
  const p50s = results.map((r) => r.latencyP50Ms).sort((a, b) => a - b)
  console.log(`# ${results.length} seeds in ${((performance.now() - started) / 1000).toFixed(1)} s on ${WORKERS} workers; median per-seed p50 commit latency ${p50s[Math.floor(p50s.length / 2)]} ms`)
  assert.equal(results.length, SEEDS)

  const failed = results.filter((r) => r.violations.length > 0)
  for (const r of failed) console.log(`# seed ${r.seed} (n=${r.n}, ${r.adversary}) failed; replay with:\n#   ${r.replay}\n#   ${r.violations.join('\n#   ')}`)
  assert.deepEqual(failed.map((r) => r.seed), [], 'every seed passes agreement, validity, liveness and determinism')

  const few = results.filter((r) => r.txsDone < 200)
  assert.deepEqual(few.map((r) => r.seed), [], 'every seed commits at least 200 transactions')

  for (const n of [4, 7, 10]) assert.ok(results.some((r) => r.n === n), `n=${n} is covered`)
  if (SEEDS < 33) return
  for (const adversary of BULLSHARK_ADVERSARIES) assert.ok(results.some((r) => r.adversary === adversary), `adversary ${adversary} is covered`)
  // Each attack is seen to bite somewhere, or it tested nothing.
  const seen = (adversary: string, event: string): boolean => results.some((r) => r.adversary === adversary && (r.protocolEvents[event] ?? 0) > 0)
  assert.ok(seen('equivocate', 'equivocation'), 'equivocating headers are noticed')
  assert.ok(seen('few-parents', 'invalid-message'), 'headers over too few parents are refused')
  assert.ok(seen('crash-leader', 'leader-timeout') && seen('slow-leader', 'leader-timeout'), 'crashed and slow anchor leaders are timed out')
  assert.ok(results.some((r) => r.badSignatureDrops > 0), 'bad signatures are dropped and counted')
  assert.ok(results.some((r) => r.stateTransfers > 0), 'some seed exercises state transfer')
})
