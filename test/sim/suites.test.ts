// Every registered protocol in the deterministic simulator: hundreds of seeds over its cluster sizes with
// every adversary it lists, crashes and restarts, lossy links and healing partitions; agreement, validity,
// liveness and determinism on each. NOVACRON_SIM_SEEDS, NOVACRON_SIM_FIRST_SEED and NOVACRON_SIM_PROTOCOL
// widen or narrow the run (npm run sim:soak).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { PROTOCOL_MODULES } from '../../src/consensus/registry.ts'
import { pingsCsv, runAndCheckSuite } from './suite.ts'

const FIRST = Number(process.env.NOVACRON_SIM_FIRST_SEED ?? 0)
const WORKERS = Math.max(2, Math.min(availableParallelism(), 8))
const pings = pingsCsv()

for (const m of PROTOCOL_MODULES) {
  if (process.env.NOVACRON_SIM_PROTOCOL !== undefined && process.env.NOVACRON_SIM_PROTOCOL !== m.name) continue
  const seeds = Number(process.env.NOVACRON_SIM_SEEDS ?? m.sim.seeds)
  test(`${m.name} survives ${seeds} simulated seeds with all four checkers`, { timeout: 60 * 60_000 }, async () => {
    const results = await runAndCheckSuite(m.name, seeds, FIRST, pings, WORKERS)
    // Small runs (a quick local check) cannot cover every pairing.
    if (seeds < m.sim.sizes.length * m.sim.adversaries.length) return
    for (const adversary of m.sim.adversaries) assert.ok(results.some((r) => r.adversary === adversary), `adversary ${adversary} is covered`)
    // Each attack is seen to bite somewhere, or it tested nothing.
    for (const [adversary, bite] of Object.entries(m.sim.bites)) {
      const bit = results.some((r) => r.adversary === adversary && (bite.cleanNetwork !== true || r.cleanNetwork) && (r.protocolEvents[bite.event] ?? 0) > 0)
      assert.ok(bit, `adversary ${adversary} shows as ${bite.event}${bite.cleanNetwork === true ? ' on a clean network' : ''} in some seed`)
    }
    assert.ok(results.some((r) => r.stateTransfers > 0), 'some seed exercises state transfer')
    assert.ok(results.some((r) => r.badSignatureDrops > 0), 'bad signatures are dropped and counted')
  })
}
