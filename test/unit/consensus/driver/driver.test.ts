import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Driver } from '../../../../src/consensus/driver/driver.ts'
import { CountingMetrics } from '../../../../src/consensus/driver/counting-metrics.ts'
import type { Clock, Wal, WalEntry } from '../../../../src/consensus/driver/interfaces.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { MessageSigner, encodeSigned } from '../../../../src/consensus/core/message.ts'
import { MAX_MESSAGE_BYTES } from '../../../../src/consensus/core/limits.ts'
import { createPbft, pbftCodec } from '../../../../src/consensus/pbft/index.ts'
import type { PbftMessage } from '../../../../src/consensus/pbft/index.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

const ids = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([7]))
const manualClock = (): Clock => ({ now: () => 0, setTimer: () => ({}), clearTimer: () => {} })

function makeDriver (self: string, wal: Wal, sent: Array<{ to: readonly string[], bytes: Uint8Array }>, metrics = new CountingMetrics(), groupCommit?: (flush: () => void) => void): Driver<PbftMessage> {
  return new Driver<PbftMessage>({
    self,
    validators,
    protocol: createPbft({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: genesis, params: { batchDelayMs: 0, batchSize: 1 } }),
    verifier: new FakeVerifier(),
    genesisHash: genesis,
    transport: { send: (to, bytes) => sent.push({ to, bytes }) },
    clock: manualClock(),
    wal,
    executor: { execute: () => new Uint8Array(32) },
    stateSync: { fetch: (_from, _cp, done) => done(false) },
    metrics,
    groupCommit
  })
}

test('no message that follows a persist leaves before the WAL acknowledges it', async () => {
  const sent: Array<{ to: readonly string[], bytes: Uint8Array }> = []
  const appended: WalEntry[][] = []
  let ack: () => void = () => {}
  const wal: Wal = { append: (entries) => { appended.push([...entries]); return new Promise<void>((resolve) => { ack = resolve }) } }
  // 'a' is the primary of view 0: a request makes it persist its pre-prepare and then broadcast it.
  const driver = makeDriver('a', wal, sent)
  driver.start([], { seq: 0, stateRoot: new Uint8Array(32) })
  const before = sent.length
  assert.ok(driver.submit(new TextEncoder().encode('tx-1')).ok)
  assert.equal(appended.length, 1, 'the pre-prepare was persisted')
  const held = sent.slice(before).filter((s) => /pre-prepare/.test(new TextDecoder().decode(s.bytes)))
  assert.equal(held.length, 0, 'the pre-prepare waits for the WAL')
  ack()
  await new Promise((resolve) => setImmediate(resolve))
  const released = sent.slice(before).filter((s) => /pre-prepare/.test(new TextDecoder().decode(s.bytes)))
  assert.equal(released.length, 1, 'the pre-prepare leaves once the WAL has it')
})

test('group commit: the persists of several inputs are one WAL append, and nothing that follows any of them leaves before a slow WAL acknowledges it', async () => {
  const sent: Array<{ to: readonly string[], bytes: Uint8Array }> = []
  const appended: WalEntry[][] = []
  const acks: Array<() => void> = []
  const wal: Wal = { append: (entries) => { appended.push([...entries]); return new Promise<void>((resolve) => { acks.push(resolve) }) } }
  const flushes: Array<() => void> = []
  const driver = makeDriver('a', wal, sent, new CountingMetrics(), (flush) => flushes.push(flush))
  driver.start([], { seq: 0, stateRoot: new Uint8Array(32) })
  const prePrepares = (): number => sent.filter((s) => /pre-prepare/.test(new TextDecoder().decode(s.bytes))).length
  // three inputs in one turn: the primary proposes (and must persist) a pre-prepare for each
  for (const tx of ['tx-1', 'tx-2', 'tx-3']) assert.ok(driver.submit(new TextEncoder().encode(tx)).ok)
  assert.equal(appended.length, 0, 'nothing written before the flush')
  assert.equal(flushes.length, 1, 'one flush asked for, however many persists')
  assert.equal(prePrepares(), 0)
  flushes.shift()!()
  assert.equal(appended.length, 1, 'one append for the group')
  assert.equal(appended[0].length, 3, 'holding the three pre-prepares')
  assert.deepEqual(appended[0].map((e) => e.seq), [1, 2, 3])
  // a fourth input while the group is being written waits too, for the next group
  assert.ok(driver.submit(new TextEncoder().encode('tx-4')).ok)
  assert.equal(prePrepares(), 0, 'no pre-prepare leaves while the WAL has not acknowledged')
  acks.shift()!()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(prePrepares(), 3, 'the three pre-prepares leave (each broadcast to the three peers) once durable')
  assert.equal(flushes.length, 1, 'the fourth persist asks for the next group')
  flushes.shift()!()
  assert.equal(appended.length, 2)
  assert.equal(prePrepares(), 3, 'the fourth still waits for its own write')
  acks.shift()!()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(prePrepares(), 4)
})

test('malformed, oversized, unknown and wrongly signed messages are dropped and counted', () => {
  const metrics = new CountingMetrics()
  const driver = makeDriver('a', { append: () => {} }, [], metrics)
  driver.start([], { seq: 0, stateRoot: new Uint8Array(32) })
  const status: PbftMessage = { protocol: 'pbft', type: 'status', view: 0, viewChanging: false, stableSeq: 0, lastCommitted: 0 }
  const good = encodeSigned(pbftCodec, new MessageSigner(new FakeSigner('b'), pbftCodec, genesis).sign(status))
  driver.receive('b', good)
  assert.equal(metrics.droppedTotal, 0)
  driver.receive('b', new Uint8Array([1, 2, 3]))
  driver.receive('b', new Uint8Array(MAX_MESSAGE_BYTES + 1))
  driver.receive('mallory', good)
  const forged = encodeSigned(pbftCodec, { ...new MessageSigner(new FakeSigner('b'), pbftCodec, genesis).sign(status), from: 'c' })
  driver.receive('b', forged)
  const otherCluster = encodeSigned(pbftCodec, new MessageSigner(new FakeSigner('b'), pbftCodec, sha256(new Uint8Array([8]))).sign(status))
  driver.receive('b', otherCluster)
  assert.deepEqual(Object.fromEntries(metrics.drops), { malformed: 1, oversized: 1, 'unknown-sender': 1, 'bad-signature': 2 })
})

test('a corrupt WAL record refuses to start rather than guessing', () => {
  const driver = makeDriver('a', { append: () => {} }, [])
  assert.throws(() => driver.start([new Uint8Array([9, 9])], { seq: 0, stateRoot: new Uint8Array(32) }), /WAL record 0 is unreadable/)
})
