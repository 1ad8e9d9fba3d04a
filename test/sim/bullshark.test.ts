// Bullshark in the deterministic simulator: seeds over n = 4, 7, 10 with every adversary (equivocating
// headers, withheld votes, too few parents, crashed or slowed anchor leaders, ...), crashes and restarts,
// lossy links and healing partitions; agreement, validity, liveness and determinism on each.
// `npm test` runs NOVACRON_SIM_SEEDS (default 528: every size/adversary pair sixteen times);
// `npm run sim:bullshark` soaks 2,000 more seeds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { BULLSHARK_ADVERSARIES } from '../../src/consensus/sim/scenario.ts'
import { pingsCsv, runAndCheckSuite } from './suite.ts'

const SEEDS = Number(process.env.NOVACRON_SIM_SEEDS ?? 528)
const FIRST = Number(process.env.NOVACRON_SIM_FIRST_SEED ?? 0)
const WORKERS = Math.max(2, Math.min(availableParallelism(), 8))
const pings = pingsCsv()

test(`bullshark survives ${SEEDS} simulated seeds with all four checkers`, { timeout: 60 * 60_000 }, async () => {
  const results = await runAndCheckSuite('bullshark', SEEDS, FIRST, pings, WORKERS)
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
