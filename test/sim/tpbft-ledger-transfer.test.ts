// T-PBFT ranking by evidence with a replica that skips whole epochs: it is cut off (crashed, or partitioned
// away) while its peers commit evidence and close epochs, then comes back behind their stable checkpoint and
// catches up by state transfer. Each checkpoint certifies the trust ledger's hash and the replica fetches the
// certified ledger before it enters the next epoch, so the simulator's epoch-configuration checker (every
// honest node the same configuration for every epoch it reached) finds nothing. Without the certified
// ledger (a replica that ranks the ledger it happens to hold) the same scenarios report epoch-config
// violations at the returning node; that is what these runs would catch.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runChecked } from '../../src/consensus/sim/run-checked.ts'
import { scenarioFor } from '../../src/consensus/sim/scenario.ts'
import type { Scenario } from '../../src/consensus/sim/scenario.ts'
import { pingsCsv } from './suite.ts'

const pings = pingsCsv()
/** Seeds per way of being cut off. */
const LEDGER_TRANSFER_SEEDS = 2

/** n = 4, node 3 away from 1.5 s to 7 s while 600 transactions commit in batches of 4: with epochs of 16
 *  seqs the others close several epochs meanwhile, and garbage-collect what node 3 missed. */
function cutOff (seed: number, how: 'crash' | 'partition'): Scenario {
  const base = scenarioFor({ protocol: 'tpbft', seed, n: 4, adversary: 'none' })
  const stabilizeAtMs = 8500
  return {
    ...base,
    loss: 0,
    duplicate: 0,
    reorder: 0,
    txs: 600,
    submitUntilMs: 8000,
    partitions: how === 'partition' ? [{ at: 1500, heal: 7000, groups: [[3], [0, 1, 2]] }] : [],
    crashes: how === 'crash' ? [{ node: 3, at: 1500, restart: 7000 }] : [],
    stabilizeAtMs,
    maxTimeMs: stabilizeAtMs + 120_000,
    params: { ...base.params, rankByEvidence: 1, batchSize: 4, checkpointInterval: 4, watermarkWindow: 16, epochLength: 16 }
  }
}

for (const how of ['crash', 'partition'] as const) {
  test(`tpbft, ranking by evidence: a replica ${how === 'crash' ? 'restarted' : 'partitioned'} across epochs catches up by state transfer and holds the same epoch configurations`, () => {
    for (let seed = 1; seed <= LEDGER_TRANSFER_SEEDS; seed++) {
      const r = runChecked(cutOff(seed, how), { pingsCsv: pings }, false)
      assert.deepEqual(r.violations, [], `seed ${seed}`)
      assert.ok(r.stats.stateTransfers > 0, `seed ${seed}: the returning replica installs a snapshot`)
      assert.ok((r.stats.protocolEvents['ledger-installed'] ?? 0) > 0, `seed ${seed}: it fetched a certified ledger`)
      assert.equal(r.stats.protocolEvents['ledger-refused'] ?? 0, 0, `seed ${seed}: honest peers serve the certified bytes`)
      assert.equal(r.stats.txsDone, 600, `seed ${seed}`)
    }
  })
}
