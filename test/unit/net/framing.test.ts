import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { FrameDecoder, FrameTooLargeError, encodeFrames } from '../../../src/net/framing.ts'

test('frames survive any split of the byte stream', () => {
  const payloads = [randomBytes(0), randomBytes(1), randomBytes(300), randomBytes(70_000)]
  const wire = encodeFrames(payloads)
  for (const step of [1, 3, 4, 5, 1000, wire.length]) {
    const decoder = new FrameDecoder()
    const out: Uint8Array[] = []
    for (let i = 0; i < wire.length; i += step) out.push(...decoder.push(wire.subarray(i, i + step)))
    assert.equal(out.length, payloads.length, `step ${step}`)
    out.forEach((p, i) => assert.ok(Buffer.from(p).equals(payloads[i])))
    assert.equal(decoder.bufferedBytes, 0)
  }
})

test('a declared length over the limit is an error before any allocation', () => {
  const decoder = new FrameDecoder(1024)
  const header = Buffer.alloc(4)
  header.writeUInt32BE(0xffffffff)
  assert.throws(() => decoder.push(header), FrameTooLargeError)
  const ok = new FrameDecoder(1024)
  assert.equal(ok.push(encodeFrames([randomBytes(1024)])).length, 1)
  assert.throws(() => new FrameDecoder(1024).push(encodeFrames([randomBytes(1025)])), FrameTooLargeError)
})

test('skip mode reads past an oversized frame split over many chunks and keeps decoding', async () => {
  const { FrameDecoder: Decoder, encodeFrames: encode } = await import('../../../src/net/framing.ts')
  const bytes = encode([Uint8Array.of(1), new Uint8Array(300).fill(9), Uint8Array.of(2, 2), new Uint8Array(1000), Uint8Array.of(3)])
  for (const step of [1, 3, 7, 64, 5000]) {
    const d = new Decoder(100, { oversized: 'skip' })
    const got: number[][] = []
    for (let i = 0; i < bytes.byteLength; i += step) for (const f of d.push(bytes.subarray(i, i + step))) got.push([...f])
    assert.deepEqual(got, [[1], [2, 2], [3]], `chunks of ${step}`)
    assert.equal(d.skippedFrames, 2)
  }
  assert.throws(() => new Decoder(100).push(bytes.subarray(0, 20)))
})
