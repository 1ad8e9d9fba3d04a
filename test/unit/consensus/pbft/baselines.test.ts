// The PBFT baselines of the T-PBFT benchmark: the rotating one changes view once per `every` committed
// sequence numbers (on a fake host, then in a small simulated cluster), the trust-ordered one leads
// view v with ranking[v mod n], and both refuse a configuration they cannot honour.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MessageSigner, MessageVerifier } from '../../../../src/consensus/core/message.ts'
import type { ProtocolKeys } from '../../../../src/consensus/core/module.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/codec.ts'
import { rotatingPbftVariant, trustOrderedPbftVariant } from '../../../../src/consensus/pbft/baselines.ts'
import { FIXTURE_PINGS_CSV } from '../../../../src/consensus/sim/pings.ts'
import { scenarioFor, simNodeIds } from '../../../../src/consensus/sim/scenario.ts'
import { runScenario } from '../../../../src/consensus/sim/simulation.ts'
import { ThreePhaseReplica } from '../../../../src/consensus/three-phase/replica.ts'
import type { VariantHost } from '../../../../src/consensus/three-phase/variant.ts'

const validators = new ValidatorSet(simNodeIds(4).map((id) => ({ id, publicKey: new Uint8Array(32) })))

test('the rotating baseline changes view once each time the committed sequence passes a multiple of every', () => {
  let committed = 0
  const changes: number[] = []
  const host = { lastCommitted: () => committed, changeView: () => { changes.push(committed) } } as unknown as VariantHost
  const variant = rotatingPbftVariant(validators, 10)
  variant.attach?.(host)
  for (const seq of [0, 3, 9, 10, 10, 11, 19, 25, 30, 31]) {
    committed = seq
    variant.afterInput?.()
  }
  assert.deepEqual(changes, [10, 25, 30])
})

test('a rotating replica that restarts with commits behind it does not rotate alone', () => {
  const changes: number[] = []
  const host = { lastCommitted: () => 57, viewChanging: () => false, changeView: () => { changes.push(57) } } as unknown as VariantHost
  const variant = rotatingPbftVariant(validators, 10)
  variant.attach?.(host)
  variant.afterInput?.()
  variant.afterInput?.()
  assert.deepEqual(changes, [])
})

test('the rotating baseline refuses a period that is not a positive integer', () => {
  for (const bad of [0, -1, 2.5, Number.NaN]) assert.throws(() => rotatingPbftVariant(validators, bad), /positive integer/)
})

test('the trust-ordered baseline leads view v with ranking[v mod n]', () => {
  const ranking = ['node-02', 'node-00', 'node-03', 'node-01']
  const variant = trustOrderedPbftVariant(validators, ranking)
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map((v) => variant.leaders.leader(v)), ['node-02', 'node-00', 'node-03', 'node-01', 'node-02', 'node-00', 'node-00'])
})

test('the trust-ordered baseline refuses a ranking that is not a permutation of the validators', () => {
  for (const bad of [['node-00', 'node-01', 'node-02'], ['node-00', 'node-00', 'node-02', 'node-03'], ['node-00', 'node-01', 'node-02', 'stranger']]) {
    assert.throws(() => trustOrderedPbftVariant(validators, bad), /every validator exactly once/)
  }
})

test('in a fault-free simulated cluster the rotating baseline changes views and keeps committing, plain PBFT does not', () => {
  const create = (keys: ProtocolKeys, params: any): ThreePhaseReplica => new ThreePhaseReplica({
    self: keys.self,
    validators: keys.validators,
    signer: new MessageSigner(keys.signer, pbftCodec, keys.genesisHash),
    verifier: new MessageVerifier(keys.verifier, pbftCodec, keys.genesisHash),
    params,
    variant: rotatingPbftVariant(keys.validators, 4),
    codec: pbftCodec
  })
  const base = scenarioFor({ protocol: 'pbft', seed: 7, n: 4, adversary: 'none' })
  const s = { ...base, partitions: [], crashes: [], loss: 0, duplicate: 0, reorder: 0, txs: 120, submitUntilMs: 3000, stabilizeAtMs: 3000, maxTimeMs: 60_000 }
  const rotating = runScenario(s, { pingsCsv: FIXTURE_PINGS_CSV, create: create as never })
  const plain = runScenario(s, { pingsCsv: FIXTURE_PINGS_CSV })
  assert.deepEqual(rotating.violations, [])
  assert.equal(rotating.stats.txsDone, 120)
  assert.equal(plain.stats.maxView, 0)
  assert.ok(rotating.stats.maxView >= 2, `views reached: ${rotating.stats.maxView}`)
})
