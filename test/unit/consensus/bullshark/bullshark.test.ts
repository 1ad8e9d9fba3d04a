import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBullshark, bullsharkCodec, BULLSHARK_TIMERS } from '../../../../src/consensus/bullshark/index.ts'
import type { Bullshark, BullsharkMessage, Header } from '../../../../src/consensus/bullshark/index.ts'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner, decodeSigned, encodeSigned } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect, PersistedRecord } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

const ids = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([2]))
const ZERO = { seq: 0, stateRoot: new Uint8Array(32) }
const make = (self: string): Bullshark => createBullshark({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: genesis, params: { batchSize: 1, batchDelayMs: 1, maxHeaderDelayMs: 50 } })
const tx = (s: string): Uint8Array => new TextEncoder().encode(s)
const records = (fx: Effect<BullsharkMessage>[]): PersistedRecord<BullsharkMessage>[] => fx.flatMap((e) => (e.kind === 'persist' ? [e.record] : []))
const sent = (fx: Effect<BullsharkMessage>[], type: string): Signed<BullsharkMessage>[] =>
  fx.flatMap((e) => (e.kind === 'broadcast' || e.kind === 'send') && e.msg.msg.type === type ? [e.msg] : [])
const signerOf = (id: string): MessageSigner<BullsharkMessage> => new MessageSigner(new FakeSigner(id), bullsharkCodec, genesis)
const header = (author: string, round: number, batches: Uint8Array[] = []): Signed<Header> =>
  signerOf(author).sign<Header>({ protocol: 'bullshark', type: 'header', author, round, parents: [], batches })

test('a certificate survives the canonical encoding and a stranger cannot make it throw', () => {
  const h = header('a', 1)
  const votes = ['a', 'b', 'c'].map((v) => signerOf(v).sign({ protocol: 'bullshark' as const, type: 'vote' as const, author: 'a', round: 1, digest: sha256(new Uint8Array([1])) }))
  const wire = encodeSigned(bullsharkCodec, signerOf('d').sign({ protocol: 'bullshark', type: 'certificate', header: h, votes }))
  const back = decodeSigned(bullsharkCodec, wire)
  assert.ok(back.ok)
  assert.equal(back.value.msg.type, 'certificate')
  for (let cut = 0; cut < wire.length; cut += 7) assert.equal(decodeSigned(bullsharkCodec, wire.subarray(0, cut)).ok, false)
})

test('a validator votes at most once per (author, round), also after a restart', () => {
  const b = make('b')
  b.start(ZERO, 0)
  const first = b.onMessage('a', header('a', 1), 1)
  assert.equal(sent(first, 'vote').length, 1)
  const restarted = make('b')
  restarted.restore(records(first))
  restarted.start(ZERO, 2)
  const other = header('a', 1, [makeBatch([tx('x')]).id])
  restarted.onMessage('a', signerOf('a').sign({ protocol: 'bullshark', type: 'batch', txs: [tx('x')] }), 3)
  const second = restarted.onMessage('a', other, 4)
  assert.equal(sent(second, 'vote').length, 0, 'no vote for a conflicting header')
  assert.ok(second.some((e) => e.kind === 'log' && e.event.type === 'equivocation'))
})

test('a restarted validator repeats its header instead of proposing another for the same round', () => {
  const a = make('a')
  const fx = a.start(ZERO, 0)
  const proposed = [...fx, ...a.onRequest(makeBatch([tx('p')]), 1), ...a.onTimer(BULLSHARK_TIMERS.batch, 2), ...a.onTimer(BULLSHARK_TIMERS.header, 60)]
  const mine = sent(proposed, 'header') as Signed<Header>[]
  assert.equal(mine.length, 1)
  const restarted = make('a')
  restarted.restore(records(proposed))
  const again = sent(restarted.start(ZERO, 100), 'header') as Signed<Header>[]
  assert.deepEqual(again.map((h) => h.msg.round), [1])
  assert.deepEqual(again[0].sig, mine[0].sig)
})

test('persist effects come before the messages that depend on them', () => {
  const a = make('a')
  const fx = [...a.start(ZERO, 0), ...a.onTimer(BULLSHARK_TIMERS.header, 60)]
  const persistAt = fx.findIndex((e) => e.kind === 'persist' && e.record.msg.type === 'rec-header')
  const sendAt = fx.findIndex((e) => e.kind === 'broadcast' && e.msg.msg.type === 'header')
  assert.ok(persistAt >= 0 && sendAt > persistAt)
})

test('four validators build the DAG and all commit the same transactions in the same order', () => {
  const nodes = new Map(ids.map((id) => [id, make(id)]))
  const commits = new Map<string, string[]>(ids.map((id) => [id, []]))
  const queue: Array<{ from: string, to: string, msg: Signed<BullsharkMessage> }> = []
  const timers = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]))
  const route = (from: string, fx: Effect<BullsharkMessage>[]): void => {
    for (const e of fx) {
      if (e.kind === 'broadcast') for (const to of validators.others(from)) queue.push({ from, to, msg: e.msg })
      if (e.kind === 'send') for (const to of e.to) queue.push({ from, to, msg: e.msg })
      if (e.kind === 'setTimer') timers.get(from)!.add(e.id)
      if (e.kind === 'commit') commits.get(from)!.push(...e.batch.txs.map((t) => new TextDecoder().decode(t)))
    }
  }
  let now = 0
  for (const [id, p] of nodes) route(id, p.start(ZERO, now))
  route('a', nodes.get('a')!.onRequest(makeBatch([tx('hello')]), now))
  route('c', nodes.get('c')!.onRequest(makeBatch([tx('world')]), now))
  for (let step = 0; step < 40 && ids.some((id) => commits.get(id)!.length < 2); step++) {
    while (queue.length > 0) {
      const m = queue.shift()!
      route(m.to, nodes.get(m.to)!.onMessage(m.from, m.msg, now))
    }
    now += 60
    for (const [id, p] of nodes) {
      const due = [...timers.get(id)!]
      timers.get(id)!.clear()
      for (const t of due) route(id, p.onTimer(t, now))
    }
  }
  const orders = ids.map((id) => commits.get(id)!.join(','))
  assert.equal(orders[0].split(',').sort().join(','), 'hello,world')
  assert.ok(orders.every((o) => o === orders[0]), orders.join(' | '))
  const st = nodes.get('b')!.status()
  assert.ok((st.round ?? 0) > 2 && (st.lastAnchor ?? 0) >= 2 && (st.dagSize ?? 0) > 0)
})
