// T-PBFT epoch configurations (src/consensus/tpbft/epoch.ts): the same evidence in any order gives a
// byte-identical configuration hash; penalties and convictions move validators down; windows, wrapping and
// the single-primary fallback; parameter validation.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ParamError } from '../../../../src/consensus/core/module.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { TRUST_PARAM_DEFAULTS, encodeEpochConfig, epochConfig, epochOf, hashEpochConfig, trustParams, viewGroup } from '../../../../src/consensus/tpbft/epoch.ts'
import type { EpochConfig } from '../../../../src/consensus/tpbft/epoch.ts'
import { TrustLedger } from '../../../../src/consensus/tpbft/evidence.ts'
import type { EvidenceEffect, Rating } from '../../../../src/consensus/tpbft/evidence.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { Prng } from '../../../../src/consensus/sim/prng.ts'
import { Worker } from 'node:worker_threads'

const ids = Array.from({ length: 10 }, (_, i) => `node-${String.fromCharCode(97 + i)}`)
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const root = (e: number): Uint8Array => sha256(new Uint8Array([e, 1, 2]))

/** A history: every committed slot co-signed by a rotating quorum, a few inner complaints against one
 *  node, and one conviction. */
function history (): Array<[number, EvidenceEffect]> {
  const out: Array<[number, EvidenceEffect]> = []
  for (let seq = 1; seq <= 60; seq++) {
    const signers = ids.filter((_, i) => (i + seq) % 10 < 7 && i !== 9)
    const ratings: Rating[] = []
    for (const a of signers) for (const b of signers) if (a !== b) ratings.push({ rater: a, ratee: b, kind: 'agree' })
    out.push([Math.floor((seq - 1) / 20), { key: `commit/${seq}`, ratings }])
  }
  for (let v = 0; v < 3; v++) out.push([1, { key: `inner/${v}/1`, ratings: ['node-b', 'node-c', 'node-d'].map((rater) => ({ rater, ratee: 'node-a', kind: 'inner' })) }])
  out.push([2, { key: 'convict/node-e', ratings: [], convict: 'node-e' }])
  return out
}

function configs (effects: Array<[number, EvidenceEffect]>, epochs = 4): EpochConfig[] {
  const ledger = new TrustLedger()
  for (const [e, effect] of effects) ledger.apply(e, effect)
  const out: EpochConfig[] = []
  for (let e = 0; e < epochs; e++) out.push(epochConfig({ epoch: e, validators, evidence: ledger, checkpointRoot: root(e), groupSize: 4, previous: out[e - 1] }))
  return out
}

test('the same evidence in any order gives byte-identical configurations and hashes', () => {
  const reference = configs(history())
  const prng = new Prng(7)
  for (let round = 0; round < 10; round++) {
    const shuffled = [...history()]
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = prng.int(i + 1)
      ;[shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
    }
    // Ratings inside an effect in another order, and duplicates of some events, too.
    const mixed = shuffled.map(([e, x]): [number, EvidenceEffect] => [e, { ...x, ratings: [...x.ratings].reverse() }])
    const got = configs([...mixed, ...mixed.slice(0, 5)])
    for (let e = 0; e < reference.length; e++) {
      assert.deepEqual(encodeEpochConfig(got[e]), encodeEpochConfig(reference[e]), `epoch ${e}, round ${round}`)
      assert.deepEqual(got[e].hash, reference[e].hash)
    }
  }
  // The validator set given in another order is the same canonical set.
  const ledger = new TrustLedger()
  for (const [e, effect] of history()) ledger.apply(e, effect)
  const reversed = new ValidatorSet([...ids].reverse().map((id) => ({ id, publicKey: new Uint8Array(32) })))
  assert.deepEqual(epochConfig({ epoch: 0, validators: reversed, evidence: ledger, checkpointRoot: root(0), groupSize: 4 }).hash, reference[0].hash)
  // A configuration that travelled (e.g. through a codec) rehashes to its hash.
  for (const c of reference) assert.deepEqual(hashEpochConfig(structuredClone(c)), c.hash)
})

test('the hash covers the inputs: another root, params, previous or evidence changes it', () => {
  const ledger = new TrustLedger()
  for (const [e, effect] of history()) ledger.apply(e, effect)
  const base = { epoch: 1, validators, evidence: ledger, checkpointRoot: root(1), groupSize: 4, previous: { epoch: 0, hash: root(9) } }
  const h = epochConfig(base).hash
  assert.notDeepEqual(epochConfig({ ...base, checkpointRoot: root(2) }).hash, h)
  assert.notDeepEqual(epochConfig({ ...base, groupSize: 3 }).hash, h)
  assert.notDeepEqual(epochConfig({ ...base, params: { damping: 0.2 } }).hash, h)
  assert.notDeepEqual(epochConfig({ ...base, previous: { epoch: 0, hash: root(8) } }).hash, h)
  ledger.apply(0, { key: 'inner/7/1', ratings: [{ rater: 'node-c', ratee: 'node-b', kind: 'inner' }] })
  assert.notDeepEqual(epochConfig(base).hash, h)
})

test('epoch 0 is all pre-trust: everyone ties, the checkpoint root orders them', () => {
  const ledger = new TrustLedger()
  const a = epochConfig({ epoch: 0, validators, evidence: ledger, checkpointRoot: root(0), groupSize: 4 })
  assert.ok(a.trust.every((q) => q === a.trust[0]))
  assert.equal(a.eligible, 10)
  const b = epochConfig({ epoch: 0, validators, evidence: ledger, checkpointRoot: root(5), groupSize: 4 })
  assert.notDeepEqual(a.ranking, b.ranking, 'another root rotates the order among equals')
  assert.deepEqual([...a.ranking].sort(), [...validators.ids])
})

test('penalties and convictions move validators down; the convicted are last with zero trust and never a fallback primary', () => {
  const [, e1, e2, e3] = configs(history())
  // node-a drew 9 inner complaints (weight 10 each) in epoch 1: from epoch 2 on it ranks below every
  // unblamed eligible validator, and node-j (never signed) is ineligible.
  const a2 = e2.ranking.indexOf('node-a')
  assert.equal(a2, e2.eligible - 1, `node-a at ${a2} of ${e2.ranking.join(',')}`)
  assert.ok(e1.ranking.indexOf('node-a') < e2.ranking.indexOf('node-a'))
  assert.ok(e2.ranking.indexOf('node-j') >= e2.eligible)
  assert.equal(e3.ranking[e3.ranking.length - 1], 'node-e')
  assert.equal(e3.trust[e3.trust.length - 1], 0)
  assert.deepEqual(e3.convicted, ['node-e'])
  assert.ok(!e3.fallback.includes('node-e'))
  for (let i = 1; i < e3.eligible; i++) assert.ok(e3.trust[i - 1] >= e3.trust[i], 'eligible validators are sorted by trust')
})

test('groups: disjoint windows that wrap, then single primaries round robin', () => {
  const [c] = configs(history().filter(([, x]) => x.convict === undefined), 1)
  assert.equal(c.groups.length, 3)
  assert.deepEqual(c.groups[0], c.ranking.slice(0, 4))
  assert.deepEqual(c.groups[1], c.ranking.slice(4, 8))
  assert.deepEqual(c.groups[2], [...c.ranking.slice(8, 10), ...c.ranking.slice(0, 2)], 'the last window wraps (10 mod 4 = 2)')
  assert.deepEqual(viewGroup(c, 0), { members: c.groups[0], fallback: false })
  assert.deepEqual(viewGroup(c, 2), { members: c.groups[2], fallback: false })
  for (let v = 3; v < 30; v++) assert.deepEqual(viewGroup(c, v), { members: [c.fallback[(v - 3) % c.fallback.length]], fallback: true })
  // A convicted validator is cut out of the windows while the others can fill them (9 left: 3 windows).
  const [withConvict] = configs(history(), 1)
  assert.ok(withConvict.groups.every((g) => !g.includes('node-e')))
  assert.deepEqual(withConvict.groups[2], [withConvict.fallback[8], ...withConvict.fallback.slice(0, 3)])
  // n = 4, m = 4: one window, the whole cluster.
  const four = new ValidatorSet(ids.slice(0, 4).map((id) => ({ id, publicKey: new Uint8Array(32) })))
  const small = epochConfig({ epoch: 0, validators: four, evidence: new TrustLedger(), checkpointRoot: root(0), groupSize: 4 })
  assert.equal(small.groups.length, 1)
  assert.equal(viewGroup(small, 1).fallback, true)
  // groupSize above n clamps to n.
  assert.equal(epochConfig({ epoch: 0, validators: four, evidence: new TrustLedger(), checkpointRoot: root(0), groupSize: 7 }).groupSize, 4)
  assert.throws(() => viewGroup(c, -1), RangeError)
})

test('epochs: seq e*E+1 .. (e+1)*E belong to epoch e', () => {
  assert.equal(epochOf(1, 1024), 0)
  assert.equal(epochOf(1024, 1024), 0)
  assert.equal(epochOf(1025, 1024), 1)
  assert.throws(() => epochOf(0, 1024), RangeError)
})

test('parameters: defaults, and nonsense refused with a reason', () => {
  assert.equal(TRUST_PARAM_DEFAULTS.epochLength, 1024)
  assert.equal(TRUST_PARAM_DEFAULTS.groupSize, 4)
  assert.deepEqual(trustParams(), TRUST_PARAM_DEFAULTS)
  assert.equal(trustParams({ epochLength: 2048 }, 64).epochLength, 2048)
  const bad: Array<[Partial<typeof TRUST_PARAM_DEFAULTS>, RegExp, number?]> = [
    [{ epochLength: 0 }, /epochLength must be an integer/],
    [{ epochLength: 1.5 }, /epochLength/],
    [{ epochLength: 1000 }, /multiple of checkpointInterval 64/, 64],
    [{ groupSize: 0 }, /groupSize/],
    [{ iterations: 0 }, /iterations/],
    [{ damping: 0 }, /damping must be in \(0, 1\]/],
    [{ damping: 1.5 }, /damping/],
    [{ damping: 0.1234567 }, /6 decimals/],
    [{ eligibleFraction: 2 }, /eligibleFraction/],
    [{ innerPenalty: -1 }, /innerPenalty/],
    [{ windowEpochs: 0 }, /windowEpochs/]
  ]
  for (const [over, why, k] of bad) assert.throws(() => trustParams(over, k), (e: Error) => e instanceof ParamError && why.test(e.message), JSON.stringify(over))
  assert.throws(() => epochConfig({ epoch: 2, validators, evidence: new TrustLedger(), checkpointRoot: root(0), groupSize: 4 }), /pass previous/)
  assert.throws(() => epochConfig({ epoch: 2, validators, evidence: new TrustLedger(), checkpointRoot: root(0), groupSize: 4, previous: { epoch: 0, hash: root(0) } }), /expected 1/)
})

test('a worker thread computes the byte-identical hash from the ledger\'s bytes', async () => {
  const ledger = new TrustLedger()
  for (const [e, effect] of history()) ledger.apply(e, effect)
  const local = epochConfig({ epoch: 3, validators, evidence: ledger, checkpointRoot: root(3), groupSize: 4, previous: { epoch: 2, hash: root(7) } })
  const worker = new Worker(new URL('../../../helpers/epoch-config-worker.ts', import.meta.url), {
    workerData: { ids: [...ids].reverse(), ledger: ledger.encode(), root: root(3), epoch: 3, previous: root(7) }
  })
  const hash = await new Promise<Uint8Array>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
  await worker.terminate()
  assert.deepEqual(new Uint8Array(hash), local.hash)
})

test('agreement saturates: co-signing 1000 commits with a peer earns what co-signing one does', () => {
  const four = new ValidatorSet(ids.slice(0, 4).map((id) => ({ id, publicKey: new Uint8Array(32) })))
  const [a, b, c, d] = four.ids
  const agree = (signers: string[]): Rating[] => signers.flatMap((x) => signers.filter((y) => y !== x).map((y): Rating => ({ rater: x, ratee: y, kind: 'agree' })))
  const ledger = new TrustLedger()
  for (let seq = 1; seq <= 1000; seq++) ledger.apply(0, { key: `commit/${seq}`, ratings: agree([a, b, c]) })
  ledger.apply(0, { key: 'commit/1001', ratings: agree([a, b, c, d]) })
  const config = epochConfig({ epoch: 1, validators: four, evidence: ledger, checkpointRoot: root(1), groupSize: 4, previous: { epoch: 0, hash: root(0) } })
  assert.ok(config.trust.every((q) => q === config.trust[0]), `trust ${config.trust.join(', ')}`)
  // Without saturation d (one commit) would fall far behind; with one epoch of silence it does fall behind.
  const silent = new TrustLedger()
  for (let seq = 1; seq <= 1000; seq++) silent.apply(0, { key: `commit/${seq}`, ratings: agree([a, b, c]) })
  const without = epochConfig({ epoch: 1, validators: four, evidence: silent, checkpointRoot: root(1), groupSize: 4, previous: { epoch: 0, hash: root(0) } })
  assert.equal(without.ranking[3], d)
  assert.ok(without.trust[3] < without.trust[0])
})
