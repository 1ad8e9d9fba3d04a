import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeFrame, encodeFrame } from '../../../src/dwcp/wire/frames.ts'
import type { Frame } from '../../../src/dwcp/wire/frames.ts'
import { DEFAULT_LIMITS } from '../../../src/dwcp/wire/limits.ts'
import { randomStream } from './fixtures.ts'

const id = 'a'.repeat(32)
const h = new Uint8Array(32).fill(7)
const frames: Frame[] = [
  { type: 'offer', id, name: 'disk.img', size: 2 ** 40, chunkSize: 1 << 20, fileHash: h, delta: null },
  { type: 'offer', id, name: 'v2.img', size: 12345, chunkSize: 65536, fileHash: h, delta: { baseName: 'v1.img', targetSize: 99, targetHash: h } },
  { type: 'accept', id, chunkSize: 65536, verified: new Uint8Array([0b101, 0]) },
  { type: 'reject', id, reason: 'no' },
  { type: 'join', id },
  { type: 'chunk', id, index: 3, codec: 'zstd', rawLength: 10, hash: h, payload: new Uint8Array([1, 2, 3]) },
  { type: 'chunk', id, index: 0, codec: 'none', rawLength: 0, hash: h, payload: new Uint8Array(0) },
  { type: 'ack', id, index: 9 },
  { type: 'nack', id, index: 9, reason: 'chunk hash mismatch' },
  { type: 'complete', id },
  { type: 'result', id, ok: true, hash: h, reason: '' },
  { type: 'sig-request', id, baseName: 'v1.img', params: { minSize: 1024, avgSize: 4096, maxSize: 32768 } },
  { type: 'signature', id, found: true, params: { minSize: 1024, avgSize: 4096, maxSize: 32768 }, hashes: new Uint8Array(48) }
]

const normalize = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x))

test('every frame type round-trips', () => {
  for (const f of frames) {
    const r = decodeFrame(encodeFrame(f), DEFAULT_LIMITS)
    assert.ok(r.ok, `${f.type}: ${r.ok ? '' : r.error}`)
    assert.deepEqual(normalize(r.value), normalize(f))
  }
})

test('every truncation and random garbage decode to an error, never a throw', () => {
  for (const f of frames) {
    const bytes = encodeFrame(f)
    for (let n = 0; n < bytes.byteLength; n++) assert.equal(decodeFrame(bytes.subarray(0, n), DEFAULT_LIMITS).ok, false, `${f.type} cut at ${n}`)
  }
  const rnd = randomStream('fuzz')
  for (let i = 0; i < 2000; i++) {
    const b = rnd(1 + (i % 200))
    b[0] = 1 // mostly valid version, so the body decoders are exercised
    assert.doesNotThrow(() => decodeFrame(b, DEFAULT_LIMITS))
  }
})

test('declared sizes beyond the limits are refused', () => {
  const chunk = encodeFrame({ type: 'chunk', id, index: 0, codec: 'none', rawLength: 4, hash: h, payload: new Uint8Array(4) })
  const view = new DataView(chunk.buffer, chunk.byteOffset)
  const rawLengthAt = 2 + 16 + 4 + 1
  view.setUint32(rawLengthAt, DEFAULT_LIMITS.maxChunkSize + 1)
  assert.match((decodeFrame(chunk, DEFAULT_LIMITS) as { error: string }).error, /exceeds the chunk limit/)
  view.setUint32(rawLengthAt, 2)
  assert.match((decodeFrame(chunk, DEFAULT_LIMITS) as { error: string }).error, /encoded length/)
  const offer = encodeFrame(frames[0])
  new DataView(offer.buffer, offer.byteOffset).setUint32(2 + 16 + 2 + 8, 0xffffffff)
  offer[2 + 16 + 2 + 8] = 0xff // file size high bytes: beyond 2^53
  assert.equal(decodeFrame(offer, DEFAULT_LIMITS).ok, false)
  const big = new Uint8Array(DEFAULT_LIMITS.maxChunkSize * 3)
  big[0] = 1
  assert.match((decodeFrame(big, DEFAULT_LIMITS) as { error: string }).error, /exceeds the limit/)
})
