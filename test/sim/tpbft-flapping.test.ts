// The T-PBFT flapping-primary violation, reduced: the benches' S4 (the acting member of the first group down
// 30 s / up 30 s) reported `epoch-config` violations at the flapping node, never agreement or validity. The
// smallest run that shows it: n = 4, the acting member down for 20 s from t = 2 s, long enough that it comes
// back by state transfer past an epoch boundary (epochs of 64 seqs in the simulator). The snapshot did not
// carry the trust ledger, so with rankByEvidence 1 the node ranked epoch 1 without the evidence of the batches
// it skipped and computed other groups than its cluster. Now each stable checkpoint certifies the ledger's hash
// and a replica back by state transfer fetches the certified ledger before it enters the next epoch
// (src/consensus/tpbft/ledger-sync.ts), so both rankings hold: the default (evidence, 1) and uniform (0).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Message } from '../../src/consensus/core/message.ts'
import type { ProtocolKeys } from '../../src/consensus/core/module.ts'
import type { Protocol } from '../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../src/consensus/core/validators.ts'
import { runScenario } from '../../src/consensus/sim/simulation.ts'
import { scenarioFor, simNodeIds } from '../../src/consensus/sim/scenario.ts'
import type { Scenario } from '../../src/consensus/sim/scenario.ts'
import { epochConfig } from '../../src/consensus/tpbft/epoch.ts'
import { TrustLedger } from '../../src/consensus/tpbft/evidence.ts'
import { createTpbftReplica } from '../../src/consensus/tpbft/module.ts'
import type { TpbftParams } from '../../src/consensus/tpbft/params.ts'
import type { TpbftVariant } from '../../src/consensus/tpbft/variant.ts'
import { pingsCsv } from './suite.ts'

const pings = pingsCsv()
const N = 4
const SEED = 1
const DOWN_AT_MS = 2000
const DOWN_MS = 20_000
const END_MS = 40_000

const ids = simNodeIds(N)
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
/** The acting member of epoch 0's first group: the node the benches flap. */
const acting = ids.indexOf(epochConfig({ epoch: 0, validators, evidence: new TrustLedger(), checkpointRoot: new Uint8Array(32), groupSize: 4 }).groups[0][0])

function downPhase (params: Partial<TpbftParams> = {}): Scenario {
  const base = scenarioFor({ protocol: 'tpbft', seed: SEED, n: N, adversary: 'none' })
  return {
    ...base,
    byzantine: [],
    partitions: [],
    crashes: [{ node: acting, at: DOWN_AT_MS, restart: DOWN_AT_MS + DOWN_MS }],
    loss: 0,
    duplicate: 0,
    reorder: 0,
    txs: 1000,
    submitUntilMs: END_MS - 10_000,
    clientRetryMs: 4000,
    stabilizeAtMs: END_MS,
    maxTimeMs: END_MS + 30_000,
    params: { ...base.params, ...params }
  }
}

/** Runs the scenario keeping each node's latest variant (a restart builds a new one). */
function run (s: Scenario): { violations: string[], events: Readonly<Record<string, number>>, variants: Map<string, TpbftVariant> } {
  const variants = new Map<string, TpbftVariant>()
  const create = (keys: ProtocolKeys, params: Partial<TpbftParams>): Protocol<Message> => {
    const t = createTpbftReplica(keys, params)
    variants.set(keys.self, t.variant)
    return t.replica as unknown as Protocol<Message>
  }
  const r = runScenario(s, { pingsCsv: pings, create: create as never })
  return { violations: r.violations, events: r.stats.protocolEvents, variants }
}

test('T-PBFT: the acting member back by state transfer across an epoch boundary holds its cluster\'s configuration', () => {
  const r = run(downPhase())
  assert.deepEqual(r.violations, [])
  // The run does what it is about: the member came back by a snapshot and entered a later epoch after it.
  assert.ok((r.events['snapshot-installed'] ?? 0) > 0, 'the restarted member installed a snapshot')
  const back = r.variants.get(ids[acting]) as TpbftVariant
  assert.ok(back.config.epoch >= 1, `the restarted member reached epoch ${back.config.epoch}`)
  const others = ids.filter((_, i) => i !== acting).map((id) => r.variants.get(id) as TpbftVariant)
  for (const v of others) if (v.config.epoch === back.config.epoch) assert.deepEqual(v.config.hash, back.config.hash)
})

test('T-PBFT ranking by evidence, explicitly: the same member, back by state transfer, ranks like its cluster; and with uniform ranking', () => {
  for (const rankByEvidence of [1, 0]) {
    const r = run(downPhase({ rankByEvidence }))
    assert.deepEqual(r.violations.filter((v) => v.startsWith('epoch-config:')), [], `rankByEvidence ${rankByEvidence}`)
    assert.ok((r.events['snapshot-installed'] ?? 0) > 0, 'the restarted member installed a snapshot')
  }
})
