// The buffer for messages of a later view holds only the view a replica is changing to (or the next one),
// from senders that may send them there, once each, per sender bounded, and within a byte budget.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { ThreePhaseMessage, Commit, Prepare, PrePrepare } from '../../../../src/consensus/three-phase/messages.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { createPbft } from '../../../../src/consensus/pbft/module.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/codec.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

const validators = new ValidatorSet(['a', 'b', 'c', 'd'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([9]))
const signer = (id: string): MessageSigner<ThreePhaseMessage> => new MessageSigner(new FakeSigner(id), pbftCodec, genesis)
const digest = sha256(new Uint8Array([1]))
const replica = () => {
  const c = createPbft({ self: 'c', validators, signer: new FakeSigner('c'), verifier: new FakeVerifier(), genesisHash: genesis, params: { checkpointInterval: 8, watermarkWindow: 32 } })
  c.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0)
  return c
}
const prepare = (from: string, view: number, seq: number) => signer(from).sign<Prepare>({ protocol: 'pbft', type: 'prepare', view, seq, digest })
const commit = (from: string, view: number, seq: number) => signer(from).sign<Commit>({ protocol: 'pbft', type: 'commit', view, seq, digest })

test('far-future views, wrong senders, repeats and sequence numbers outside the window are not held', () => {
  const c = replica()
  for (let view = 2; view < 1000; view++) c.onMessage('d', prepare('d', view, 1), 1)
  assert.equal(c.status().bufferedMessages, 0, 'only the next view is held')
  // View 1 is led by b: a pre-prepare from d, or a prepare from b, is not what view 1 can carry.
  c.onMessage('d', signer('d').sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: 1, seq: 1, digest: makeBatch([new Uint8Array([1])]).id, batch: makeBatch([new Uint8Array([1])]) }), 1)
  c.onMessage('b', prepare('b', 1, 1), 1)
  assert.equal(c.status().bufferedMessages, 0)
  for (let i = 0; i < 100; i++) c.onMessage('d', prepare('d', 1, 1), 1)
  for (let seq = 33; seq < 2000; seq++) c.onMessage('d', prepare('d', 1, seq), 1)
  assert.equal(c.status().bufferedMessages, 1, 'one copy, and nothing above the watermark window')
})

test('each sender is held to its share, and the total to a byte budget', () => {
  const c = replica()
  for (let seq = 1; seq <= 32; seq++) {
    c.onMessage('d', prepare('d', 1, seq), 1)
    c.onMessage('d', commit('d', 1, seq), 1)
    c.onMessage('a', prepare('a', 1, seq), 1)
  }
  assert.equal(c.status().bufferedMessages, 96)
  // The leader of view 1 floods pre-prepares of ~8 MiB: the bytes held stay under the budget.
  const big = makeBatch(Array.from({ length: 128 }, (_, i) => new Uint8Array(64 * 1024).fill(i)))
  for (let seq = 1; seq <= 32; seq++) c.onMessage('b', signer('b').sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: 1, seq, digest: big.id, batch: big }), 1)
  const st = c.status()
  assert.ok((st.bufferedBytes ?? Infinity) <= 64 * 1024 * 1024, `${st.bufferedBytes} bytes held`)
  assert.ok((st.bufferedMessages ?? 0) < 96 + 32, 'some of the flood was refused')
})
