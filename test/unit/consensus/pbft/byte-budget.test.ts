import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { MAX_MESSAGE_BYTES, MAX_TX_BYTES, MAX_WAL_RECORD_BYTES } from '../../../../src/consensus/core/limits.ts'
import { MessageSigner, decodeSigned, encodeSigned } from '../../../../src/consensus/core/message.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { Driver } from '../../../../src/consensus/driver/driver.ts'
import { createPbft, pbftCodec } from '../../../../src/consensus/pbft/index.ts'
import type { PbftMessage, PrePrepare } from '../../../../src/consensus/pbft/index.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'

const ids = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([7]))

test('a Byzantine primary\'s pre-prepare over the batch budget is refused as invalid, and the backup does not halt', () => {
  const fatal: Error[] = []
  const sent: Uint8Array[] = []
  const events: string[] = []
  const driver = new Driver<PbftMessage>({
    self: 'b',
    validators,
    protocol: createPbft({ self: 'b', validators, signer: new FakeSigner('b'), verifier: new FakeVerifier(), genesisHash: genesis }),
    verifier: new FakeVerifier(),
    genesisHash: genesis,
    transport: { send: (_to, bytes) => sent.push(bytes) },
    clock: { now: () => 0, setTimer: () => ({}), clearTimer: () => {} },
    wal: { append: (entries) => { for (const e of entries) if (e.bytes.byteLength > MAX_WAL_RECORD_BYTES) throw new RangeError('WAL record too large') } },
    executor: { execute: () => new Uint8Array(32) },
    stateSync: { fetch: (_f, _c, done) => done(false) },
    metrics: { dropped () {}, viewChange () {}, committed () {}, event: (e) => events.push(`${e.type}:${String(e.reason ?? '')}`) },
    onFatal: (e) => fatal.push(e)
  })
  driver.start([], { seq: 0, stateRoot: new Uint8Array(32) })
  const txs = Array.from({ length: Math.ceil(MAX_WAL_RECORD_BYTES / MAX_TX_BYTES) + 1 }, (_, i) => {
    const tx = new Uint8Array(MAX_TX_BYTES)
    tx.set(sha256(new Uint8Array([i >> 8, i & 255])))
    return tx
  })
  const pp = new MessageSigner(new FakeSigner('a'), pbftCodec, genesis).sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: 0, seq: 1, digest: makeBatch(txs).id, batch: makeBatch(txs) })
  const wire = encodeSigned(pbftCodec, pp)
  assert.ok(wire.byteLength < MAX_MESSAGE_BYTES)
  driver.receive('a', wire)
  assert.deepEqual(fatal.map((e) => e.message), [])
  assert.ok(events.some((e) => e.startsWith('invalid-message:batch over')), events.join(', '))
  assert.equal(sent.filter((b) => { const d = decodeSigned(pbftCodec, b); return d.ok && d.value.msg.type === 'prepare' }).length, 0, 'no prepare for it')
})
