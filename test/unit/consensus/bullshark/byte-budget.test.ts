import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBullshark, bullsharkCodec } from '../../../../src/consensus/bullshark/index.ts'
import type { BullsharkMessage } from '../../../../src/consensus/bullshark/index.ts'
import { batchBytes } from '../../../../src/consensus/core/batch.ts'
import { MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, MAX_TX_BYTES } from '../../../../src/consensus/core/limits.ts'
import { decodeSigned, encodeSigned } from '../../../../src/consensus/core/message.ts'
import { CountingMetrics } from '../../../../src/consensus/driver/counting-metrics.ts'
import { Driver } from '../../../../src/consensus/driver/driver.ts'
import type { Wal } from '../../../../src/consensus/driver/interfaces.ts'
import { MAX_WAL_RECORD_BYTES } from '../../../../src/state/limits.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { GENESIS, ZERO, batchMsg, certify, headerOf, validatorsOf } from './dag-builder.ts'

const validators = validatorsOf(4)

/** A WAL that refuses what storage refuses (state/storage/wal.ts): a record over MAX_WAL_RECORD_BYTES. */
const strictWal = (largest: { bytes: number }): Wal => ({
  append: (entries) => {
    for (const e of entries) {
      largest.bytes = Math.max(largest.bytes, e.bytes.byteLength)
      if (e.bytes.byteLength > MAX_WAL_RECORD_BYTES) throw new RangeError(`WAL record must be bytes of at most ${MAX_WAL_RECORD_BYTES}`)
    }
  }
})

/** A transaction of exactly MAX_TX_BYTES, distinct per i. */
function bigTx (i: number): Uint8Array {
  const tx = new Uint8Array(MAX_TX_BYTES)
  tx.set(sha256(new Uint8Array([i >> 8, i & 255])))
  return tx
}

test('the byte budget leaves room for a record around a batch, and batches are bounded below the message limit', () => {
  assert.ok(MAX_BATCH_BYTES < MAX_WAL_RECORD_BYTES && MAX_BATCH_BYTES < MAX_MESSAGE_BYTES)
  assert.equal(batchBytes([new Uint8Array(10), new Uint8Array(3)]), 4 + 14 + 7)
})

test('an oversized batch from a Byzantine validator is refused and the node keeps going', () => {
  const fatal: Error[] = []
  const sent: Array<{ to: readonly string[], bytes: Uint8Array }> = []
  const largest = { bytes: 0 }
  const driver = new Driver<BullsharkMessage>({
    self: 'v0',
    validators,
    protocol: createBullshark({ self: 'v0', validators, signer: new FakeSigner('v0'), verifier: new FakeVerifier(), genesisHash: GENESIS }),
    verifier: new FakeVerifier(),
    genesisHash: GENESIS,
    transport: { send: (to, bytes) => sent.push({ to, bytes }) },
    clock: { now: () => 0, setTimer: () => ({}), clearTimer: () => {} },
    wal: strictWal(largest),
    executor: { execute: () => new Uint8Array(32) },
    stateSync: { fetch: (_f, _c, done) => done(false) },
    metrics: new CountingMetrics(),
    onFatal: (e) => fatal.push(e)
  })
  driver.start([], ZERO)
  // Just over the batch budget and the WAL limit, well under the message limit: the codec accepts it.
  const txs = Array.from({ length: Math.ceil(MAX_WAL_RECORD_BYTES / MAX_TX_BYTES) + 1 }, (_, i) => bigTx(i))
  const wire = encodeSigned(bullsharkCodec, batchMsg('v3', txs))
  assert.ok(wire.byteLength < MAX_MESSAGE_BYTES && wire.byteLength > MAX_WAL_RECORD_BYTES)
  driver.receive('v3', wire)
  // A certificate over it (votes forged here; honest validators would never hold the batch to vote).
  const cert = certify(validators, headerOf('v3', 1, [], [txs]))
  driver.receive('v3', encodeSigned(bullsharkCodec, cert))
  assert.deepEqual(fatal.map((e) => e.message), [], 'no peer input halts the node')
  assert.ok(largest.bytes <= MAX_WAL_RECORD_BYTES)
  // Still working: an honest header gets this node's vote.
  const before = sent.length
  driver.receive('v1', encodeSigned(bullsharkCodec, headerOf('v1', 1, [])))
  const votes = sent.slice(before).filter((s) => { const d = decodeSigned(bullsharkCodec, s.bytes); return d.ok && d.value.msg.type === 'vote' })
  assert.equal(votes.length, 1)
})

test('honest load of batchSize 1000 x 64 KiB transactions commits on every node without halting', () => {
  const fatal: Error[] = []
  const largest = { bytes: 0 }
  let largestMessage = 0
  let now = 0
  const queue: Array<{ from: string, to: string, bytes: Uint8Array }> = []
  const timers: Array<{ at: number, fire: () => void, cancelled: boolean }> = []
  const applied = new Map<string, number>(validators.ids.map((id) => [id, 0]))
  const drivers = new Map(validators.ids.map((self) => [self, new Driver<BullsharkMessage>({
    self,
    validators,
    protocol: createBullshark({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: GENESIS, params: { batchSize: 1000, batchDelayMs: 10, maxHeaderDelayMs: 50 } }),
    verifier: new FakeVerifier(),
    genesisHash: GENESIS,
    transport: {
      send: (to, bytes) => {
        largestMessage = Math.max(largestMessage, bytes.byteLength)
        for (const id of to) queue.push({ from: self, to: id, bytes })
      }
    },
    clock: {
      now: () => now,
      setTimer: (ms, fire) => { const t = { at: now + ms, fire, cancelled: false }; timers.push(t); return t },
      clearTimer: (h) => { (h as { cancelled: boolean }).cancelled = true }
    },
    wal: strictWal(largest),
    executor: { execute: (seq, batch) => { applied.set(self, (applied.get(self) ?? 0) + batch.txs.length); return sha256(new Uint8Array([seq])) } },
    stateSync: { fetch: (_f, _c, done) => done(false) },
    onFatal: (e) => fatal.push(e)
  })]))
  for (const d of drivers.values()) d.start([], ZERO)
  const txs = Array.from({ length: 1000 }, (_, i) => bigTx(i))
  assert.ok(batchBytes(txs) > MAX_MESSAGE_BYTES, 'one batch of all of them would pass even the message limit')
  const results = (drivers.get('v0') as Driver<BullsharkMessage>).submitMany(txs)
  assert.ok(results.every((r) => r.ok))
  for (let step = 0; step < 400 && [...applied.values()].some((n) => n < txs.length) && fatal.length === 0; step++) {
    while (queue.length > 0) {
      const m = queue.shift() as { from: string, to: string, bytes: Uint8Array }
      drivers.get(m.to)?.receive(m.from, m.bytes)
    }
    now += 10
    for (const t of timers.splice(0).filter((t) => !t.cancelled)) {
      if (t.at <= now) t.fire()
      else timers.push(t)
    }
  }
  assert.deepEqual(fatal.map((e) => e.message), [], 'no node halts')
  assert.ok(largest.bytes <= MAX_WAL_RECORD_BYTES && largestMessage <= MAX_MESSAGE_BYTES)
  assert.deepEqual([...applied.values()], validators.ids.map(() => txs.length), 'every node applies every transaction')
})
