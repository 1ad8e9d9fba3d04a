// Equivocation detection as messages arrive (src/consensus/tpbft/detect.ts): a conflict yields one item that
// verification accepts; repeats, other slots and other kinds yield nothing; memory stays bounded.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { evidenceCodec } from '../../../../src/consensus/tpbft/evidence.ts'
import { EquivocationDetector } from '../../../../src/consensus/tpbft/detect.ts'
import { verifyEvidence } from '../../../../src/consensus/tpbft/evidence.ts'
import { codec, commit, digest, innerChange, messageVerifier, prepare, signer } from '../../../helpers/tpbft-messages.ts'
import type { Msg } from '../../../helpers/tpbft-messages.ts'

const validators = new ValidatorSet(['a', 'b', 'c', 'd'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
const ctx = { validators, verifier: messageVerifier(), protocol: 'tpbft', carriedAt: 100, maxCommitLag: 64, group: () => undefined, innerAccused: () => undefined, innerThreshold: () => 3 }

test('two commits of one signer for one slot with different digests: one verifiable item, once', () => {
  const d = new EquivocationDetector<Msg>()
  assert.equal(d.observe(commit('b', 7, digest(1))), undefined)
  assert.equal(d.observe(commit('b', 7, digest(1))), undefined, 'the same message again is no conflict')
  const item = d.observe(commit('b', 7, digest(2)))
  assert.ok(item !== undefined && item.kind === 'equivocation')
  const r = verifyEvidence(ctx, item)
  assert.ok(r.ok, r.ok ? '' : r.error)
  assert.equal(r.value.convict, 'b')
  assert.equal(d.observe(commit('b', 7, digest(3))), undefined, 'one item per signer and slot')
})

test('other slots, signers, kinds and non-convicting types are no conflict', () => {
  const d = new EquivocationDetector<Msg>()
  d.observe(commit('b', 7, digest(1)))
  assert.equal(d.observe(commit('b', 8, digest(2))), undefined)
  assert.equal(d.observe(commit('b', 7, digest(2), 1)), undefined)
  assert.equal(d.observe(commit('c', 7, digest(2))), undefined)
  assert.equal(d.observe(prepare('b', 7, digest(2))), undefined)
  assert.equal(d.observe(innerChange('b', 0, 1)), undefined)
  assert.equal(d.observe(innerChange('b', 0, 2)), undefined)
})

test('bounded: a full detector remembers no new slots; prune frees slots below a seq', () => {
  const d = new EquivocationDetector<Msg>({ maxEntries: 3 })
  for (let seq = 1; seq <= 10; seq++) d.observe(commit('a', seq, digest(seq)))
  assert.equal(d.size, 3)
  assert.equal(d.observe(commit('a', 9, digest(99))), undefined, 'seq 9 was never remembered')
  assert.ok(d.observe(commit('a', 2, digest(99))) !== undefined, 'what it holds still convicts')
  d.prune(3)
  assert.equal(d.size, 1)
  d.observe(commit('a', 20, digest(20)))
  assert.ok(d.observe(commit('a', 20, digest(21))) !== undefined)
})

test('pre-prepares are proven by their signed headers: the item carries no batch and still verifies', () => {
  const d = new EquivocationDetector<Msg>()
  const big = (x: number): Msg => { const batch = makeBatch([new Uint8Array(50_000).fill(x)]); return { protocol: 'tpbft', type: 'pre-prepare', view: 0, seq: 3, digest: batch.id, batch } }
  d.observe(signer('a').sign(big(1)))
  const item = d.observe(signer('a').sign(big(2)))
  assert.ok(item !== undefined && item.kind === 'equivocation')
  assert.equal((item.a.msg as { batch?: unknown }).batch, undefined)
  assert.equal((item.b.msg as { batch?: unknown }).batch, undefined)
  const bytes = evidenceCodec(codec).encode([item])
  assert.ok(bytes.byteLength < 1000, `${bytes.byteLength} bytes`)
  const back = evidenceCodec(codec).decode(bytes)
  assert.ok(back.ok)
  const r = verifyEvidence(ctx, back.value[0])
  assert.ok(r.ok, r.ok ? '' : r.error)
  assert.equal(r.value.convict, 'a')
})
