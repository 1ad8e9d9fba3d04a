// The shared protocol plumbing of src/consensus/core: the outbox's timer bookkeeping, bounded checkpoint
// votes, the help rate limit, the transaction tracker and the round-robin leader schedule.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CHECKPOINT_VOTES_PER_VALIDATOR, CheckpointVotes } from '../../../../src/consensus/core/checkpoint-votes.ts'
import { HelpLimiter } from '../../../../src/consensus/core/help.ts'
import { roundRobin } from '../../../../src/consensus/core/leaders.ts'
import type { Message, MessageSigner, Signed } from '../../../../src/consensus/core/message.ts'
import { Outbox } from '../../../../src/consensus/core/outbox.ts'
import { TxTracker } from '../../../../src/consensus/core/tx-tracker.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { txKey } from '../../../../src/consensus/core/batch.ts'

interface Cp extends Message { readonly type: 'checkpoint', readonly seq: number, readonly root: string }
const vote = (from: string, seq: number, root = 'r'): Signed<Cp> => ({ from, msg: { protocol: 'test', type: 'checkpoint', seq, root }, signature: new Uint8Array(0) }) as unknown as Signed<Cp>
const signer = { sign: (msg: Message) => ({ from: 'a', msg, signature: new Uint8Array(0) }) } as unknown as MessageSigner<Message>

test('the outbox sets a timer once, cancels only an armed one, and hands out effects in order', () => {
  const o = new Outbox(signer)
  o.begin(5)
  o.arm('t', 10)
  o.arm('t', 20)
  o.disarm('u')
  o.log({ type: 'x' })
  o.send([], signer.sign({ protocol: 'test', type: 'y' }))
  o.disarm('t')
  assert.equal(o.now, 5)
  assert.deepEqual(o.end().map((e) => e.kind), ['setTimer', 'log', 'cancelTimer'])
  assert.deepEqual(o.end(), [])
  o.arm('t', 1)
  o.fired('t')
  o.arm('t', 2)
  o.rearm('t', 3)
  assert.deepEqual(o.end().map((e) => e.kind === 'setTimer' ? e.ms : -1), [1, 2, 3])
})

test('checkpoint votes stay bounded per validator however many one sends, and match by key', () => {
  const votes = new CheckpointVotes<Cp>((m) => m.seq, (m) => `${m.seq}/${m.root}`)
  for (let seq = 1; seq <= 1000; seq++) votes.add(vote('byz', seq))
  assert.equal(votes.add(vote('byz', 1001)).length, 1)
  // Only the newest few of the flood are kept: an old one no longer matches.
  assert.equal(votes.add(vote('a', 1000 - CHECKPOINT_VOTES_PER_VALIDATOR - 5)).length, 1)
  assert.equal(votes.add(vote('a', 1001)).length, 2)
  assert.equal(votes.add(vote('b', 1001, 'other')).length, 1, 'a different root does not match')
  assert.equal(votes.add(vote('a', 1001)).length, 2, 'a repeated vote replaces, not adds')
  votes.retain((m) => m.seq > 1001)
  assert.equal(votes.add(vote('c', 1001)).length, 1)
})

test('a peer is helped at most once per interval', () => {
  const help = new HelpLimiter(1000)
  assert.ok(help.may('x', 0))
  assert.ok(!help.may('x', 999))
  assert.ok(help.may('y', 999))
  assert.ok(help.may('x', 1000))
})

test('the tracker refuses what is pending, in flight or recently committed', () => {
  const t = new TxTracker()
  const tx = new TextEncoder().encode('tx')
  assert.ok(t.addPending(tx))
  assert.ok(!t.addPending(tx))
  t.pending.delete(txKey(tx))
  t.inFlight.set(txKey(tx), tx)
  assert.ok(!t.addPending(tx))
  assert.equal(t.size, 1)
  t.markCommitted(txKey(tx))
  assert.equal(t.size, 0)
  assert.ok(!t.addPending(tx))
})

test('round robin leads view v with validator v mod n', () => {
  const vs = new ValidatorSet(['c', 'a', 'b'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
  const s = roundRobin(vs)
  assert.deepEqual([0, 1, 2, 3, 7].map((v) => s.leader(v)), ['a', 'b', 'c', 'a', 'b'])
})
