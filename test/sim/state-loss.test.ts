// A node whose state database is written without its own fsync (synchronous=NORMAL, sharing the consensus
// WAL's SQLite file) loses, in a power cut, the state commits made since its last WAL fsync. The simulator
// models exactly that (SimOptions.stateSync 'normal'): each crash drops those commits. Every registered
// protocol must get them back from its WAL and its peers: the same batches at the same seqs to the same
// roots (the re-execution check and the agreement checker), every transaction applied (liveness).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PROTOCOL_MODULES } from '../../src/consensus/registry.ts'
import { runChecked } from '../../src/consensus/sim/run-checked.ts'
import { scenarioFor } from '../../src/consensus/sim/scenario.ts'
import { pingsCsv } from './suite.ts'

const pings = pingsCsv()
/** Scenarios per protocol, each with one honest node crashed while it commits. */
const SCENARIOS_PER_PROTOCOL = 4

let droppedInAll = 0

for (const m of PROTOCOL_MODULES) {
  test(`${m.name}: state commits a crash drops (no fsync of their own) come back, the same batches to the same roots`, () => {
    let dropped = 0
    for (let seed = 0; seed < SCENARIOS_PER_PROTOCOL; seed++) {
      const base = scenarioFor({ protocol: m.name, seed })
      // one honest node (the last is never among the faulty ones chosen first) crashes mid-load
      const node = base.n - 1 - (seed % 2)
      const scenario = { ...base, crashes: [{ node, at: 1500 + 700 * seed, restart: 3000 + 700 * seed }] }
      const r = runChecked(scenario, { pingsCsv: pings, stateSync: 'normal' }, false)
      assert.deepEqual(r.violations, [], `seed ${seed} (n=${base.n}, ${base.adversary})`)
      dropped += r.stats.droppedStateCommits
    }
    // T-PBFT's crashes drop none in these seeds: a WAL append always followed its last execution
    droppedInAll += dropped
  })
}

test('the crashes dropped state commits somewhere (the mode tested something)', () => {
  assert.ok(droppedInAll > 0)
})
