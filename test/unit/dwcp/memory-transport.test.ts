import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { MemoryNetwork } from '../../../src/dwcp/transport/memory.ts'
import type { FrameStream } from '../../../src/dwcp/transport/stream.ts'
import { pair, writeFileOf } from './fixtures.ts'

function connect (net: MemoryNetwork): { remote: Promise<FrameStream>, dial: () => Promise<FrameStream> } {
  let resolve: (s: FrameStream) => void = () => {}
  const remote = new Promise<FrameStream>((r) => { resolve = r })
  net.listen('B', (s) => resolve(s))
  return { remote, dial: async () => (await net.dialer('A').openStreams('B', 1))[0] }
}

async function collect (s: FrameStream): Promise<number[]> {
  const out: number[] = []
  for await (const f of s.frames()) out.push(f[0])
  return out
}

test('frames arrive in order after the link latency, and close ends the reader', async () => {
  const net = new MemoryNetwork({ latencyMs: 20 })
  const c = connect(net)
  const a = await c.dial()
  const b = await c.remote
  const t0 = performance.now()
  for (let i = 0; i < 10; i++) await a.write(new Uint8Array([i]))
  await a.close()
  assert.deepEqual(await collect(b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.ok(performance.now() - t0 >= 19)
  await assert.rejects(a.write(new Uint8Array(1)), /after close/)
})

test('write waits while the reader lags behind the high-water mark', async () => {
  const net = new MemoryNetwork({ highWaterMark: 1000 })
  const c = connect(net)
  const a = await c.dial()
  const b = await c.remote
  await a.write(new Uint8Array(600))
  let done = false
  const blocked = a.write(new Uint8Array(600)).then(() => { done = true })
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(done, false, 'second write waits for drain')
  const it = b.frames()[Symbol.asyncIterator]()
  await it.next()
  await blocked
  assert.equal(done, true)
})

test('abort fails both ends, and a down peer refuses dials', async () => {
  const net = new MemoryNetwork()
  const c = connect(net)
  const a = await c.dial()
  const b = await c.remote
  const reading = collect(b)
  a.abort(new Error('boom'))
  await assert.rejects(reading, /reset by peer: boom/)
  await assert.rejects(a.write(new Uint8Array(1)))
  net.setDown('B', true)
  await assert.rejects(net.dialer('A').openStreams('B', 1), /cannot reach/)
})

test('parallel streams fill a bandwidth-capped link with latency', async (t) => {
  // 200 Mbit/s with 10 ms each way: a BDP of 500 KB, which one small-window stream could not fill.
  const p = await pair(t, { link: { bandwidthMbps: 200, latencyMs: 10, highWaterMark: 256 * 1024 } })
  const src = join(p.srcDir, 'cap.bin')
  const size = 8 * 1000 * 1000
  await writeFileOf(src, 'random', size)
  // Measured over the data phase (first to last ack), without hashing and the handshake round trips.
  const acks: Array<[number, number]> = []
  const s = await p.sender.send({ file: src, to: 'B', link: { bandwidthMbps: 200, rttMs: 20 }, codec: 'none', onProgress: (pr) => acks.push([performance.now(), pr.doneBytes]) })
  const [t0, b0] = acks[0]
  const [t1, b1] = acks[acks.length - 1]
  const mbit = ((b1 - b0) * 8) / 1e6 / ((t1 - t0) / 1000)
  t.diagnostic(`${s.streams} streams, ${s.chunkSize} B chunks: ${mbit.toFixed(0)} Mbit/s of 200 in the data phase, ${((s.sentBytes * 8) / 1e6 / s.seconds).toFixed(0)} overall`)
  // One stream would be held to about half the cap by its window; the margin below that absorbs a busy
  // CPU (bench/dwcp-memory.ts measures the fill itself).
  assert.ok(mbit > 200 * 0.6, `${mbit.toFixed(0)} Mbit/s`)
  assert.ok(mbit < 200 * 1.05, 'the cap holds')
})
