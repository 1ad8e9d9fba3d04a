import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CodecError, Reader, Writer } from '../../../../src/consensus/core/codec.ts'
import { MessageSigner, MessageVerifier, WIRE_VERSION, decodeSigned, encodeSigned, readSigned, writeSigned } from '../../../../src/consensus/core/message.ts'
import type { DecodeContext, Message, MessageCodec, Signed } from '../../../../src/consensus/core/message.ts'
import { decodeRecord, encodeRecord } from '../../../../src/consensus/core/record.ts'
import { MAX_MESSAGE_BYTES } from '../../../../src/consensus/core/limits.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

type TestMsg =
  | { protocol: 't', type: 'ping', n: number, data: Uint8Array }
  | { protocol: 't', type: 'wrap', inner: Signed<TestMsg>[] }

const codec: MessageCodec<TestMsg> = {
  protocol: 't',
  encodeBody (m, w) {
    if (m.type === 'ping') w.u64(m.n).bytes(m.data)
    else w.list(m.inner, (w, s) => writeSigned(w, codec, s))
  },
  decodeBody (type, r, ctx: DecodeContext): TestMsg {
    if (type === 'ping') return { protocol: 't', type, n: r.u64(), data: r.bytes() }
    if (type === 'wrap') return { protocol: 't', type, inner: r.list((r) => readSigned(r, codec, ctx)) }
    throw new CodecError(`unknown type ${type}`)
  }
}

const genesis = sha256(new Uint8Array([42]))
const signer = new MessageSigner(new FakeSigner('alice'), codec, genesis)
const verifier = new MessageVerifier(new FakeVerifier(), codec, genesis)
const ping = (n: number): TestMsg => ({ protocol: 't', type: 'ping', n, data: new Uint8Array([1, 2, 3]) })

test('primitives round trip and integers are range checked', () => {
  const bytes = new Writer(1).u8(7).u32(0xffffffff).u64(Number.MAX_SAFE_INTEGER).bool(true).str('héllo').bytes(new Uint8Array(300)).finish()
  const r = new Reader(bytes)
  assert.equal(r.u8(), 7)
  assert.equal(r.u32(), 0xffffffff)
  assert.equal(r.u64(), Number.MAX_SAFE_INTEGER)
  assert.equal(r.bool(), true)
  assert.equal(r.str(), 'héllo')
  assert.equal(r.bytes().byteLength, 300)
  r.end()
  assert.throws(() => new Writer().u64(-1), RangeError)
  assert.throws(() => new Writer().u32(2 ** 32), RangeError)
})

test('signed messages round trip canonically, nested ones too, and verify', () => {
  const inner = signer.sign(ping(5))
  const outer = signer.sign({ protocol: 't', type: 'wrap', inner: [inner, signer.sign(ping(6))] })
  const bytes = encodeSigned(codec, outer)
  const back = decodeSigned(codec, bytes)
  assert.ok(back.ok)
  assert.deepEqual(back.value.msg, outer.msg)
  assert.deepEqual(encodeSigned(codec, back.value), bytes)
  assert.ok(verifier.verify(back.value))
  const nested = (back.value.msg as Extract<TestMsg, { type: 'wrap' }>).inner[0]
  assert.ok(verifier.verify(nested))
})

test('a signature does not verify for a different sender or altered body', () => {
  const s = signer.sign(ping(1))
  assert.equal(verifier.verify({ ...s, from: 'bob' }), false)
  const again = decodeSigned(codec, encodeSigned(codec, s))
  assert.ok(again.ok)
  assert.equal(verifier.verify({ from: 'alice', msg: ping(2), sig: s.sig }), false)
})

test('truncated, garbage, trailing and oversized input is an error result, never a throw', () => {
  const bytes = encodeSigned(codec, signer.sign({ protocol: 't', type: 'wrap', inner: [signer.sign(ping(9))] }))
  for (let cut = 0; cut < bytes.byteLength; cut++) {
    const res = decodeSigned(codec, bytes.subarray(0, cut))
    assert.equal(res.ok, false, `prefix of ${cut} bytes must not decode`)
  }
  assert.equal(decodeSigned(codec, new Uint8Array([...bytes, 0])).ok, false)
  let seed = 1
  const rand = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24 }
  for (let i = 0; i < 2000; i++) {
    const junk = bytes.slice()
    for (let k = 0; k < 3; k++) junk[rand() % junk.length] = rand()
    decodeSigned(codec, junk) // must not throw
    decodeSigned(codec, Uint8Array.from({ length: rand() }, rand))
  }
  const big = decodeSigned(codec, new Uint8Array(MAX_MESSAGE_BYTES + 1))
  assert.ok(!big.ok && /exceeds/.test(big.error))
  // A length prefix claiming 4 GiB fails on the bound, before any allocation.
  const huge = decodeSigned(codec, new Writer().u8(WIRE_VERSION).str('t').str('ping').str('a').u32(0xfffffff0).finish())
  assert.ok(!huge.ok && /exceeds/.test(huge.error))
  const wrongVersion = bytes.slice()
  wrongVersion[0] = 9
  const v = decodeSigned(codec, wrongVersion)
  assert.ok(!v.ok && /version/.test(v.error))
})

test('nesting depth is bounded', () => {
  let s: Signed<TestMsg> = signer.sign(ping(0))
  for (let i = 0; i < 8; i++) s = signer.sign({ protocol: 't', type: 'wrap', inner: [s] })
  const res = decodeSigned(codec, encodeSigned(codec, s))
  assert.ok(!res.ok && /nested/.test(res.error))
})

test('persisted records round trip with their seq and reject garbage', () => {
  const m: Message = ping(3)
  const { bytes } = encodeRecord(codec, { seq: 17, msg: m as TestMsg })
  const back = decodeRecord(codec, bytes)
  assert.ok(back.ok)
  assert.equal(back.value.seq, 17)
  assert.deepEqual(back.value.msg, m)
  assert.equal(decodeRecord(codec, bytes.subarray(0, 5)).ok, false)
})
