// A PBFT replica whose view-change timer fires alone (here: a timeout far below everyone else's, as a slow
// start or a saturated host makes it in practice) moves to a view nobody else is in and votes nowhere until
// the next real view change. It must still apply what the others commit: its status brings it the decided
// batches with their commit certificates (catch-up), not only state transfers at checkpoints. Measured before
// catch-up was on for PBFT: a 7-node `novacron bench` left 2 such replicas at 0 applied in 5 of 7 runs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Message } from '../../src/consensus/core/message.ts'
import type { ProtocolKeys } from '../../src/consensus/core/module.ts'
import type { Protocol } from '../../src/consensus/core/protocol.ts'
import { runScenario } from '../../src/consensus/sim/simulation.ts'
import { scenarioFor, simNodeIds } from '../../src/consensus/sim/scenario.ts'
import { createPbft } from '../../src/consensus/pbft/module.ts'
import type { PbftParams } from '../../src/consensus/pbft/params.ts'
import { pingsCsv } from './suite.ts'

const N = 4
const lone = simNodeIds(N)[1]

test('PBFT: a replica that changed view alone keeps applying what the others commit, by catch-up', () => {
  const base = scenarioFor({ protocol: 'pbft', seed: 5, n: N, adversary: 'none' })
  const create = (keys: ProtocolKeys, params: Partial<PbftParams>): Protocol<Message> =>
    createPbft({ ...keys, params: keys.self === lone ? { ...params, viewChangeTimeoutMs: 20, maxViewChangeTimeoutMs: 40 } : params }) as unknown as Protocol<Message>
  const r = runScenario({ ...base, byzantine: [], partitions: [], crashes: [], loss: 0, duplicate: 0, reorder: 0 }, { pingsCsv: pingsCsv(), create: create as never })
  assert.deepEqual(r.violations, [])
  assert.ok(r.stats.maxView > 0, 'the lone replica left view 0')
  assert.equal(r.stats.viewChanges, 0, 'the others never changed view')
  assert.ok((r.stats.protocolEvents['caught-up'] ?? 0) > 0, 'it took decided batches')
  assert.ok(r.stats.minApplied > 0, 'the lone replica applied transactions')
  assert.equal(r.stats.txsDone, base.txs)
})
