// T-PBFT's view-change evidence (E3) end to end in the simulator: two members of epoch 0's first group crash,
// the group can no longer certify, and the cluster changes view (an outer view change). The replica that
// proposes next carries the NEW-VIEW's quorum of VIEW-CHANGEs in its batch, and every live replica's trust
// ledger then holds view-change ratings against the failed group's members that did not propose in that view
// (the crashed acting member's pre-prepares spare it, evidence.ts) and none against anyone outside the group.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Message } from '../../src/consensus/core/message.ts'
import type { ProtocolKeys } from '../../src/consensus/core/module.ts'
import type { Protocol } from '../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../src/consensus/core/validators.ts'
import { runScenario } from '../../src/consensus/sim/simulation.ts'
import { scenarioFor, simNodeIds } from '../../src/consensus/sim/scenario.ts'
import { epochConfig } from '../../src/consensus/tpbft/epoch.ts'
import { TrustLedger } from '../../src/consensus/tpbft/evidence.ts'
import { createTpbftReplica } from '../../src/consensus/tpbft/module.ts'
import type { TpbftParams } from '../../src/consensus/tpbft/params.ts'
import type { TpbftVariant } from '../../src/consensus/tpbft/variant.ts'
import { pingsCsv } from './suite.ts'

const N = 7
const ids = simNodeIds(N)
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const group = epochConfig({ epoch: 0, validators, evidence: new TrustLedger(), checkpointRoot: new Uint8Array(32), groupSize: 4 }).groups[0]
const crashed = group.slice(0, 2)

test('T-PBFT: an outer view change past a group that cannot certify is carried as evidence against that group', () => {
  const base = scenarioFor({ protocol: 'tpbft', seed: 3, n: N, adversary: 'none' })
  const variants = new Map<string, TpbftVariant>()
  const create = (keys: ProtocolKeys, params: Partial<TpbftParams>): Protocol<Message> => {
    const t = createTpbftReplica(keys, params)
    variants.set(keys.self, t.variant)
    return t.replica as unknown as Protocol<Message>
  }
  const r = runScenario({
    ...base,
    byzantine: [],
    partitions: [],
    // Down for good: the restart falls after the end of the run.
    crashes: crashed.map((id) => ({ node: ids.indexOf(id), at: 2000, restart: 10 * 60_000 })),
    loss: 0,
    duplicate: 0,
    reorder: 0,
    txs: 400,
    submitUntilMs: 20_000,
    clientRetryMs: 4000,
    stabilizeAtMs: 30_000,
    maxTimeMs: 60_000
  }, { pingsCsv: pingsCsv(), create: create as never })
  assert.deepEqual(r.violations, [])
  assert.ok((r.stats.protocolEvents['new-view'] ?? 0) > 0, 'the cluster changed view')
  for (const id of ids.filter((x) => !crashed.includes(x))) {
    const ledger = (variants.get(id) as TpbftVariant).evidence.ledger
    const against = (ratee: string): number => [0, 1, 2].reduce((total, epoch) => total + ids.reduce((sum, rater) => sum + ledger.counts(epoch, rater, ratee).viewChange, 0), 0)
    // Members that proposed in the failed view are spared (their pre-prepares are in the prepared
    // certificates); the rest of the group is blamed, the crashed member that never proposed among them.
    assert.ok(group.reduce((sum, x) => sum + against(x), 0) > 0, `${id} holds view-change ratings against view 0's group`)
    assert.ok(crashed.some((x) => against(x) > 0), `${id} holds view-change ratings against a crashed member`)
    for (const x of ids.filter((y) => !group.includes(y))) assert.equal(against(x), 0, `none against ${x}, outside the group`)
  }
})
