import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPbft } from '../../../../src/consensus/pbft/index.ts'
import type { PbftMessage, PrePrepare } from '../../../../src/consensus/pbft/index.ts'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect, PersistedRecord } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/codec.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

const validators = new ValidatorSet(['a', 'b', 'c', 'd'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([1]))
const ZERO = { seq: 0, stateRoot: new Uint8Array(32) }
const make = (self: string) => createPbft({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: genesis, params: { batchSize: 1, batchDelayMs: 0 } })
const tx = (s: string): Uint8Array => new TextEncoder().encode(s)
const records = (fx: Effect<PbftMessage>[]): PersistedRecord<PbftMessage>[] => fx.flatMap((e) => (e.kind === 'persist' ? [e.record] : []))
const sent = (fx: Effect<PbftMessage>[], type: string): Signed<PbftMessage>[] =>
  fx.flatMap((e) => (e.kind === 'broadcast' || e.kind === 'send') && e.msg.msg.type === type ? [e.msg] : [])

test('persist effects come before the messages that depend on them', () => {
  const a = make('a')
  a.start(ZERO, 0)
  const fx = a.onRequest(makeBatch([tx('x')]), 1)
  const persistAt = fx.findIndex((e) => e.kind === 'persist')
  const sendAt = fx.findIndex((e) => e.kind === 'broadcast' && e.msg.msg.type === 'pre-prepare')
  assert.ok(persistAt >= 0 && sendAt > persistAt)
})

test('a restarted primary never reuses a sequence number for a different batch', () => {
  const a = make('a')
  a.start(ZERO, 0)
  const wal = records(a.onRequest(makeBatch([tx('first')]), 1))
  const again = make('a')
  again.restore(wal)
  again.start(ZERO, 2)
  const pps = sent(again.onRequest(makeBatch([tx('second')]), 3), 'pre-prepare') as Signed<PrePrepare>[]
  assert.deepEqual(pps.map((p) => p.msg.seq), [2])
})

test('a restarted backup does not prepare a conflicting pre-prepare for a slot it accepted', () => {
  const primary = new MessageSigner(new FakeSigner('a'), pbftCodec, genesis)
  const pp = (t: string) => primary.sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: 0, seq: 1, digest: makeBatch([tx(t)]).id, batch: makeBatch([tx(t)]) })
  const b = make('b')
  b.start(ZERO, 0)
  const first = b.onMessage('a', pp('A'), 1)
  assert.equal(sent(first, 'prepare').length, 1)
  const restarted = make('b')
  restarted.restore(records(first))
  restarted.start(ZERO, 2)
  assert.equal(sent(restarted.onMessage('a', pp('B'), 3), 'prepare').length, 0)
})

test('four replicas commit a batch through pre-prepare, prepare and commit', () => {
  const nodes = new Map(['a', 'b', 'c', 'd'].map((id) => [id, make(id)]))
  for (const p of nodes.values()) p.start(ZERO, 0)
  const committed = new Map<string, number>()
  const queue: Array<{ from: string, to: string, msg: Signed<PbftMessage> }> = []
  const route = (from: string, fx: Effect<PbftMessage>[]): void => {
    for (const e of fx) {
      if (e.kind === 'broadcast') for (const to of validators.others(from)) queue.push({ from, to, msg: e.msg })
      if (e.kind === 'send') for (const to of e.to) queue.push({ from, to, msg: e.msg })
      if (e.kind === 'commit') committed.set(from, e.seq)
    }
  }
  route('a', nodes.get('a')!.onRequest(makeBatch([tx('hello')]), 1))
  for (let i = 0; i < queue.length; i++) route(queue[i].to, nodes.get(queue[i].to)!.onMessage(queue[i].from, queue[i].msg, 2))
  assert.deepEqual([...committed.entries()].sort(), [['a', 1], ['b', 1], ['c', 1], ['d', 1]])
})
