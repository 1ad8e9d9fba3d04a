import { test } from 'node:test'
import assert from 'node:assert/strict'
import { quorumBlocking, quorumsFor } from '../../../../src/consensus/core/quorum.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'

test('n = 3f + 1 gives 2f + 1 and f + 1', () => {
  for (let f = 0; f <= 10; f++) {
    const q = quorumsFor(3 * f + 1)
    assert.deepEqual(q, { n: 3 * f + 1, f, quorum: 2 * f + 1, weak: f + 1 })
  }
})

test('for any n two quorums overlap in at least f + 1 and a quorum survives f faults', () => {
  for (let n = 1; n <= 40; n++) {
    const { f, quorum } = quorumsFor(n)
    assert.ok(2 * quorum - n >= f + 1, `n=${n}: overlap`)
    assert.ok(quorum <= n - f, `n=${n}: liveness`)
  }
  assert.deepEqual(quorumsFor(6), { n: 6, f: 1, quorum: 4, weak: 2 })
  assert.throws(() => quorumsFor(0), RangeError)
})

test('validator set orders ids canonically and rotates the primary', () => {
  const vs = new ValidatorSet(['c', 'a', 'b', 'd'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
  assert.deepEqual(vs.ids, ['a', 'b', 'c', 'd'])
  assert.equal(vs.primary(0), 'a')
  assert.equal(vs.primary(5), 'b')
  assert.equal(vs.f, 1)
  assert.deepEqual(vs.others('b'), ['a', 'c', 'd'])
  assert.throws(() => new ValidatorSet([{ id: 'a', publicKey: new Uint8Array() }, { id: 'a', publicKey: new Uint8Array() }]), /duplicate/)
})

test('the quorum-blocking size meets every quorum and is f + 1 exactly when n is not 3f + 3', () => {
  for (let n = 1; n <= 40; n++) {
    const q = quorumsFor(n)
    const b = quorumBlocking(q)
    assert.ok(b + q.quorum > n, `n=${n}: ${b} supporters and a quorum of ${q.quorum} must overlap`)
    assert.ok(b - 1 + q.quorum <= n, `n=${n}: ${b - 1} would not be enough`)
    assert.ok(b <= n - q.f, `n=${n}: honest validators alone reach it`)
    assert.equal(b === q.weak, n % 3 !== 0, `n=${n}`)
  }
  assert.equal(quorumBlocking(quorumsFor(6)), 3)
})
