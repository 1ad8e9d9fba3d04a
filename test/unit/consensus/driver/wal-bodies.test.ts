// The driver writes a record that carries a batch as the record without it plus the batch, which the WAL
// stores once by digest; a restart resolves the digest through the WAL's body store. A body missing from
// the store, or an old-format record, refuses to start with a clear error instead of half a memory.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Driver } from '../../../../src/consensus/driver/driver.ts'
import type { Clock, Wal, WalEntry } from '../../../../src/consensus/driver/interfaces.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { Writer } from '../../../../src/consensus/core/codec.ts'
import { createPbft } from '../../../../src/consensus/pbft/index.ts'
import type { PbftMessage } from '../../../../src/consensus/pbft/index.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'

const ids = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([7]))
const clock: Clock = { now: () => 0, setTimer: () => ({}), clearTimer: () => {} }
const zero = { seq: 0, stateRoot: new Uint8Array(32) }

function makeDriver (wal: Wal, sent: Uint8Array[] = []): Driver<PbftMessage> {
  return new Driver<PbftMessage>({
    self: 'a',
    validators,
    protocol: createPbft({ self: 'a', validators, signer: new FakeSigner('a'), verifier: new FakeVerifier(), genesisHash: genesis, params: { batchDelayMs: 0, batchSize: 1 } }),
    verifier: new FakeVerifier(),
    genesisHash: genesis,
    transport: { send: (_to, bytes) => sent.push(bytes) },
    clock,
    wal,
    executor: { execute: () => new Uint8Array(32) },
    stateSync: { fetch: (_from, _cp, done) => done(false) }
  })
}

const contains = (hay: Uint8Array, needle: Uint8Array): boolean => Buffer.from(hay).includes(Buffer.from(needle))

/** 'a', the primary of view 0, proposes one batch: its accepted pre-prepare is persisted. */
function proposeOne (): { entries: WalEntry[], tx: Uint8Array, sent: Uint8Array[] } {
  const entries: WalEntry[] = []
  const sent: Uint8Array[] = []
  const driver = makeDriver({ append: (es) => { entries.push(...es) } }, sent)
  driver.start([], zero)
  const tx = new TextEncoder().encode('a transaction the record must not repeat')
  assert.ok(driver.submit(tx).ok)
  driver.stop()
  return { entries, tx, sent }
}

test('an accepted pre-prepare is persisted as a header naming its batch, the batch handed to the WAL once beside it', () => {
  const { entries, tx, sent } = proposeOne()
  const withBody = entries.filter((e) => e.body !== undefined)
  assert.equal(withBody.length, 1, 'one record names a body')
  const body = withBody[0].body!
  assert.deepEqual(body.txs.map((t) => toHex(t)), [toHex(tx)])
  for (const e of entries) assert.ok(!contains(e.bytes, tx), 'no record repeats the transaction')
  assert.ok(contains(withBody[0].bytes, body.id), 'the record names the batch by its digest')
  assert.ok(sent.some((b) => contains(b, tx)), 'the pre-prepare on the wire still carries the batch')
})

test('a restart resolves the digest through the body store and the replica proposes the next slot, not the same one again', () => {
  const { entries } = proposeOne()
  const bodies = new Map(entries.filter((e) => e.body !== undefined).map((e) => [toHex(e.body!.id), e.body!.txs]))
  const again: WalEntry[] = []
  const driver = makeDriver({ append: (es) => { again.push(...es) } })
  driver.start(entries.map((e) => e.bytes), zero, (d) => bodies.get(toHex(d)))
  assert.ok(driver.submit(new TextEncoder().encode('next')).ok)
  const accepted = again.filter((e) => e.body !== undefined)
  assert.equal(accepted.length, 1)
  assert.equal(accepted[0].seq, 2, 'the restored slot 1 is taken')
})

test('a body missing from the store, or a wrong body under its digest, refuses to start naming the record', () => {
  const { entries } = proposeOne()
  const at = entries.findIndex((e) => e.body !== undefined)
  assert.throws(() => makeDriver({ append: () => {} }).start(entries.map((e) => e.bytes), zero, () => undefined), new RegExp(`WAL record ${at} is unreadable: batch body [0-9a-f]{16} is not in the body store`))
  assert.throws(() => makeDriver({ append: () => {} }).start(entries.map((e) => e.bytes), zero), /not in the body store/, 'no store at all')
  assert.throws(() => makeDriver({ append: () => {} }).start(entries.map((e) => e.bytes), zero, () => [new Uint8Array([1])]), /does not match its digest/)
})

test('a record in the older inline format is refused with the way forward', () => {
  const old = new Writer(16).u8(2).u64(1).str('pbft').str('rec-view').bytes(new Writer(16).u64(0).bool(false).finish()).finish()
  assert.throws(() => makeDriver({ append: () => {} }).start([old], zero), /record format 2 was written by an older release.*empty data dir/)
})
