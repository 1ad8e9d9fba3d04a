import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_WAL_RECORD_BYTES, MAX_TX_BYTES } from '../../../../src/consensus/core/limits.ts'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Effect, Protocol } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { Driver } from '../../../../src/consensus/driver/driver.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/index.ts'
import type { PbftMessage } from '../../../../src/consensus/pbft/index.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'

const ids = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([7]))

test('a record over the WAL limit or a message over the message limit is reported, not fatal', () => {
  const txs = Array.from({ length: Math.ceil(2 * MAX_WAL_RECORD_BYTES / MAX_TX_BYTES) + 1 }, (_, i) => new Uint8Array(MAX_TX_BYTES).fill(i & 255))
  const huge = new MessageSigner(new FakeSigner('a'), pbftCodec, genesis).sign<PbftMessage>({ protocol: 'pbft', type: 'request', txs })
  // A protocol with a bug: it persists and broadcasts something no storage or peer accepts.
  const none = (): Effect<PbftMessage>[] => []
  const buggy: Protocol<PbftMessage> = {
    codec: pbftCodec,
    restore () {},
    start: () => [{ kind: 'persist', record: { seq: 1, msg: huge.msg } }, { kind: 'broadcast', msg: huge }, { kind: 'log', event: { type: 'after' } }],
    onMessage: none,
    onTimer: none,
    onRequest: none,
    onExecuted: none,
    status: () => ({ protocol: 'pbft', view: 0, primary: null, viewChanging: false, lastCommitted: 0, lastExecuted: 0, stableCheckpoint: 0, pending: 0 })
  }
  const events: string[] = []
  const fatal: Error[] = []
  const appended: number[] = []
  const sent: number[] = []
  const driver = new Driver<PbftMessage>({
    self: 'a',
    validators,
    protocol: buggy,
    verifier: new FakeVerifier(),
    genesisHash: genesis,
    transport: { send: (_to, bytes) => sent.push(bytes.byteLength) },
    clock: { now: () => 0, setTimer: () => ({}), clearTimer: () => {} },
    wal: { append: (entries) => { for (const e of entries) { if (e.bytes.byteLength > MAX_WAL_RECORD_BYTES) throw new RangeError('too large'); appended.push(e.bytes.byteLength) } } },
    executor: { execute: () => new Uint8Array(32) },
    stateSync: { fetch: (_f, _c, done) => done(false) },
    metrics: { dropped () {}, viewChange () {}, committed () {}, event: (e) => events.push(e.type) },
    onFatal: (e) => fatal.push(e)
  })
  driver.start([], { seq: 0, stateRoot: new Uint8Array(32) })
  assert.deepEqual(fatal, [])
  assert.deepEqual(events, ['record-too-large', 'message-too-large', 'after'])
  assert.deepEqual(appended, [])
  assert.deepEqual(sent, [])
})
