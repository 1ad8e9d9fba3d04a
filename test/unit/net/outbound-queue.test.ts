import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import { FrameDecoder } from '../../../src/net/framing.ts'
import { OutboundQueue, type SendStream } from '../../../src/net/outbound-queue.ts'

class FakeStream implements SendStream {
  status = 'open'
  writes: Uint8Array[] = []
  full = false
  private listeners: Record<string, Array<() => void>> = {}
  send (data: Uint8Array): boolean { this.writes.push(data); return !this.full }
  addEventListener (type: 'drain' | 'close', listener: () => void): void { (this.listeners[type] ??= []).push(listener) }
  emit (type: 'drain' | 'close'): void { const l = this.listeners[type] ?? []; this.listeners[type] = []; l.forEach(f => f()) }
  decoded (): Uint8Array[] { const d = new FrameDecoder(); return this.writes.flatMap(w => d.push(w)) }
}

function queue (maxQueueBytes = 1 << 20, maxWriteBytes = 64 * 1024) {
  const counts = { dropped: 0, writes: 0, messages: 0 }
  const q = new OutboundQueue({ maxQueueBytes, maxWriteBytes }, {
    onDropped: () => counts.dropped++,
    onWrite: (m) => { counts.writes++; counts.messages += m },
    onStreamError: () => {}
  })
  return { q, counts }
}

test('messages queued in one tick leave in one write, in order', async () => {
  const { q, counts } = queue()
  const s = new FakeStream()
  q.attach(s)
  for (let i = 0; i < 100; i++) q.enqueue(Uint8Array.of(i))
  await tick()
  assert.equal(s.writes.length, 1)
  assert.deepEqual(s.decoded().map(p => p[0]), [...Array(100).keys()])
  assert.equal(counts.messages, 100)
  assert.equal(q.queuedBytes, 0)
})

test('writes are capped in size and wait for drain when the stream is full', async () => {
  const { q } = queue(1 << 20, 1000)
  const s = new FakeStream()
  s.full = true
  q.attach(s)
  for (let i = 0; i < 10; i++) q.enqueue(new Uint8Array(400))
  await tick()
  assert.equal(s.writes.length, 1, 'stops after the write that filled the stream')
  assert.equal(q.queuedMessages, 8)
  s.full = false
  s.emit('drain')
  assert.equal(q.queuedMessages, 0)
  assert.equal(s.decoded().length, 10)
  assert.ok(s.writes.every(w => w.byteLength <= 1000 + 8))
})

test('the queue is bounded: a stuck peer gets drops, not unbounded memory', async () => {
  const { q, counts } = queue(10_000)
  let accepted = 0
  for (let i = 0; i < 1000; i++) if (q.enqueue(new Uint8Array(96))) accepted++
  assert.equal(accepted, 100)
  assert.equal(counts.dropped, 900)
  assert.ok(q.queuedBytes <= 10_000)
  const s = new FakeStream()
  q.attach(s)
  await tick()
  assert.equal(s.decoded().length, 100, 'what was kept is delivered once a stream is attached')
})

test('a stream that throws is detached and reported', async () => {
  let failed = 0
  const q = new OutboundQueue({ maxQueueBytes: 1 << 20, maxWriteBytes: 1 << 16 }, { onDropped: () => {}, onWrite: () => {}, onStreamError: () => failed++ })
  q.attach({ status: 'open', send: () => { throw new Error('closed') }, addEventListener: () => {} })
  q.enqueue(Uint8Array.of(1))
  await tick()
  assert.equal(failed, 1)
  assert.equal(q.attached, false)
})
