// The T-PBFT replica's trust source (src/consensus/tpbft/trust-history.ts) as GET /v1/trust finds it on the
// protocol object: the epochs the replica entered, each with the evidence counts it was computed from,
// bounded to TRUST_HISTORY_EPOCHS.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { trustJson, trustSourceOf } from '../../../../src/api/trust.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'
import { TRUST_HISTORY_EPOCHS, TrustHistory, tpbftModule, tpbftParams } from '../../../../src/consensus/tpbft/index.ts'
import { TrustLedger } from '../../../../src/consensus/tpbft/evidence.ts'
import { epochConfig } from '../../../../src/consensus/tpbft/epoch.ts'

const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const GENESIS = sha256(new TextEncoder().encode('tpbft-trust-history'))

test('the protocol object a T-PBFT node runs is a trust source: epoch 0 at start, with its ranking and counts', () => {
  const protocol = tpbftModule.create({ self: 'a', validators, signer: new FakeSigner('a'), verifier: new FakeVerifier(), genesisHash: GENESIS }, tpbftParams())
  const source = trustSourceOf(protocol)
  assert.ok(source !== null)
  assert.deepEqual(source.epochs(), [0])
  const view = source.epoch(0)
  assert.ok(view !== undefined)
  assert.equal(source.epoch(1), undefined)
  const json = trustJson(view, source.epochs(), 'tpbft')
  assert.equal(json.ranking.length, IDS.length)
  assert.deepEqual(json.ranking.map((r) => r.id).sort(), IDS)
  assert.equal(json.evidenceEpochs, null)
  assert.ok(json.ranking.every((r) => r.evidence.agreements === 0 && !r.convicted))
})

test('the history keeps the latest TRUST_HISTORY_EPOCHS epochs, each as recorded', () => {
  const history = new TrustHistory()
  const ledger = new TrustLedger()
  ledger.apply(0, { key: 'commit/1', ratings: [{ rater: 'a', ratee: 'b', kind: 'agree' }] })
  let previous: Uint8Array = new Uint8Array(32)
  const hashes: string[] = []
  for (let epoch = 0; epoch < TRUST_HISTORY_EPOCHS + 3; epoch++) {
    const config = epochConfig({ epoch, validators, evidence: ledger, checkpointRoot: new Uint8Array(32), groupSize: 4, ...(epoch > 0 ? { previous: { epoch: epoch - 1, hash: previous } } : {}) })
    previous = config.hash
    hashes.push(toHex(config.hash))
    history.record(config, ledger)
  }
  const epochs = history.epochs()
  assert.equal(epochs.length, TRUST_HISTORY_EPOCHS)
  assert.equal(epochs[0], 3)
  assert.equal(history.epoch(2), undefined)
  assert.equal(toHex(history.epoch(10)!.hash), hashes[10])
  assert.equal(history.epoch(1)?.epoch, undefined)
  assert.equal(history.epoch(3)!.counts.find((c) => c.id === 'b')!.agreements, 1)
})
