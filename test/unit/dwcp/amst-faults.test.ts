import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { pair, sha256Of, writeFileOf } from './fixtures.ts'
import { TransferError } from '../../../src/dwcp/amst/types.ts'
import { TransferSender } from '../../../src/dwcp/amst/sender.ts'
import type { StreamDialer } from '../../../src/dwcp/transport/stream.ts'

const CHUNK = 64 * 1024
/** Offsets in a chunk frame: version, type, transfer id (16), then the chunk index (u32). */
const TYPE_AT = 1
const INDEX_AT = 18
const CHUNK_TYPE = 5

test('a chunk corrupted on the wire is detected, nacked and re-sent', async (t) => {
  const p = await pair(t)
  const src = join(p.srcDir, 'img.bin')
  const hash = await writeFileOf(src, 'vm', 20 * CHUNK)
  let corrupted = 0
  p.net.tamper = (frame, ctx) => {
    if (ctx.from !== 'A' || frame[TYPE_AT] !== CHUNK_TYPE || corrupted > 0) return frame
    const index = new DataView(frame.buffer, frame.byteOffset).getUint32(INDEX_AT)
    if (index !== 7) return frame
    corrupted++
    const bad = new Uint8Array(frame)
    bad[bad.byteLength - 1] ^= 0xff
    return bad
  }
  const s = await p.sender.send({ file: src, to: 'B', streams: 3, chunkSize: CHUNK })
  assert.equal(corrupted, 1)
  assert.equal(s.resentChunks, 1)
  assert.deepEqual(await sha256Of(join(p.recvDir, 'img.bin')), hash)
})

test('a receiver stopped mid-transfer resumes from its verified chunks after a restart', async (t) => {
  const p = await pair(t, { receiver: { durable: true } })
  const src = join(p.srcDir, 'big.bin')
  const chunks = 40
  const hash = await writeFileOf(src, 'random', chunks * CHUNK - 3)
  let stopping: Promise<void> | undefined
  const first = await p.restartReceiver({
    onEvent: (e) => {
      if (e.type === 'progress' && e.doneBytes >= 15 * CHUNK && stopping === undefined) stopping = p.receiver.close()
    }
  })
  await assert.rejects(p.sender.send({ file: src, to: 'B', streams: 4, chunkSize: CHUNK }))
  await stopping
  assert.notEqual(first, undefined)
  await p.restartReceiver()
  const s = await p.sender.send({ file: src, to: 'B', streams: 4, chunkSize: CHUNK })
  assert.ok(s.resumedChunks >= 15, `resumed ${s.resumedChunks}`)
  const sent = Object.values(s.codecMix).reduce((a, b) => a + b, 0)
  assert.equal(sent, chunks - s.resumedChunks, 'only the missing chunks are sent')
  assert.deepEqual(await sha256Of(join(p.recvDir, 'big.bin')), hash)
})

test('a resumed transfer keeps the chunk size of the partial file', async (t) => {
  const p = await pair(t)
  const src = join(p.srcDir, 'f.bin')
  const hash = await writeFileOf(src, 'text', 30 * CHUNK)
  let stopping: Promise<void> | undefined
  await p.restartReceiver({ onEvent: (e) => { if (e.type === 'progress' && stopping === undefined) stopping = p.receiver.close() } })
  await assert.rejects(p.sender.send({ file: src, to: 'B', chunkSize: CHUNK }))
  await stopping
  await p.restartReceiver()
  const s = await p.sender.send({ file: src, to: 'B', chunkSize: 4 * CHUNK })
  assert.equal(s.chunkSize, CHUNK)
  assert.ok(s.resumedChunks >= 1)
  assert.deepEqual(await sha256Of(join(p.recvDir, 'f.bin')), hash)
})

test('a peer that goes away fails the transfer instead of hanging', async (t) => {
  const p = await pair(t, { link: { latencyMs: 1 } })
  const src = join(p.srcDir, 'x.bin')
  await writeFileOf(src, 'random', 50 * CHUNK)
  await p.restartReceiver({ onEvent: (e) => { if (e.type === 'progress') p.net.setDown('B', true) } })
  await assert.rejects(p.sender.send({ file: src, to: 'B', chunkSize: CHUNK }), TransferError)
})

test('a new attempt supersedes one whose streams are still open, and resumes its chunks', async (t) => {
  const p = await pair(t, { link: { latencyMs: 2 } })
  const src = join(p.srcDir, 'again.bin')
  const hash = await writeFileOf(src, 'random', 30 * CHUNK)
  let second: Promise<unknown> | undefined
  await p.restartReceiver({
    onEvent: (e) => {
      if (e.type === 'progress' && e.doneBytes >= 5 * CHUNK && second === undefined) second = p.sender.send({ file: src, to: 'B', chunkSize: CHUNK })
    }
  })
  await assert.rejects(p.sender.send({ file: src, to: 'B', chunkSize: CHUNK }), /superseded|stream/)
  const s = await second as Awaited<ReturnType<typeof p.sender.send>>
  assert.ok(s.resumedChunks >= 5)
  assert.deepEqual(await sha256Of(join(p.recvDir, 'again.bin')), hash)
})

test('an aborted send stops at once', async (t) => {
  const p = await pair(t)
  const src = join(p.srcDir, 'stop.bin')
  await writeFileOf(src, 'random', 10 * CHUNK)
  await assert.rejects(p.sender.send({ file: src, to: 'B', chunkSize: CHUNK, signal: AbortSignal.abort() }), /aborted/)
})

test('a data stream that breaks mid-transfer hands its chunks to the other streams', async (t) => {
  const p = await pair(t)
  const src = join(p.srcDir, 'survive.bin')
  const hash = await writeFileOf(src, 'random', 40 * CHUNK)
  const inner = p.net.dialer('A')
  let broken = false
  const dialer: StreamDialer = {
    openStreams: async (peer, n) => (await inner.openStreams(peer, n)).map((s, i) => {
      if (i !== 2) return s
      let writes = 0
      return { ...s, frames: () => s.frames(), close: async () => await s.close(), abort: (e: Error) => s.abort(e), write: async (f: Uint8Array) => {
        if (++writes === 4) {
          broken = true
          s.abort(new Error('stream reset'))
        }
        await s.write(f)
      } }
    })
  }
  const sender = new TransferSender({ dialer })
  const s = await sender.send({ file: src, to: 'B', streams: 4, chunkSize: CHUNK })
  assert.ok(broken)
  assert.deepEqual(await sha256Of(join(p.recvDir, 'survive.bin')), hash)
  assert.equal(s.streams, 4)
})
