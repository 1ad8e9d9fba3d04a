import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBullshark } from '../../../../src/consensus/bullshark/index.ts'
import type { Bullshark, Certificate } from '../../../../src/consensus/bullshark/index.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { GENESIS, ZERO, batchMsg, certify, committed, deliver, headerOf, txOf, validatorsOf } from './dag-builder.ts'

// n = 6 = 3f + 3: f = 1, quorum 4. Two round-3 certificates (f + 1) support the round-2 anchor, and the
// four others form a quorum that avoids it, so a round-4 anchor over those four never reaches the first.
const validators = validatorsOf(6)
const ids = validators.ids
const node = (self: string): Bullshark => createBullshark({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: GENESIS, params: { batchSize: 1 } })
const pick = (round: Signed<Certificate>[], idx: number[]): Signed<Certificate>[] => idx.map((i) => round[i])

function dag (): { r: Signed<Certificate>[][], batches: ReturnType<typeof batchMsg>[] } {
  const x = [txOf('x')]
  const y = [txOf('y')]
  const r1 = ids.map((a) => certify(validators, headerOf(a, 1, [])))
  // Round 2's anchor leader is ids[1], round 4's is ids[2].
  const r2 = ids.map((a, i) => certify(validators, headerOf(a, 2, pick(r1, [0, 1, 2, 3]), i === 1 ? [x] : [])))
  const r3 = ids.map((a, i) => certify(validators, headerOf(a, 3, i < 2 ? pick(r2, [0, 1, 2, 3]) : pick(r2, [0, 2, 3, 4]))))
  const r4 = ids.map((a, i) => certify(validators, headerOf(a, 4, pick(r3, [2, 3, 4, 5]), i === 2 ? [y] : [])))
  const r5 = ids.map((a, i) => certify(validators, headerOf(a, 5, i < 3 ? pick(r4, [0, 1, 2, 3]) : pick(r4, [0, 1, 3, 4]))))
  return { r: [[], r1, r2, r3, r4, r5], batches: [batchMsg(ids[1], x), batchMsg(ids[2], y)] }
}

test('n = 6: two honest replicas commit the same sequence whatever order the certificates arrive in', () => {
  const { r, batches } = dag()
  const early = node(ids[4])
  const late = node(ids[5])
  early.start(ZERO, 0)
  late.start(ZERO, 0)
  // The early replica sees round 3 in full (both supporters of the round-2 anchor) before round 4.
  const earlyFx = deliver(early, [...r[1], ...batches, ...r[2], ...r[3], ...r[4], ...r[5]])
  // The late replica sees the anchor's supporters only after it has committed round 4's anchor.
  const lateFx = deliver(late, [...r[1], ...batches, ...r[2], ...r[3].slice(2), ...r[4], ...r[5], ...r[3].slice(0, 2)])
  const a = committed(earlyFx)
  const b = committed(lateFx)
  assert.deepEqual(a, b, `early committed [${a.join(' | ')}], late committed [${b.join(' | ')}]`)
  assert.ok(a.includes('y'), 'the round-4 anchor, supported by three round-5 certificates, commits on both')
})
