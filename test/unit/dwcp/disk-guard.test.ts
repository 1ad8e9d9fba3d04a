// The receiver cannot fill the disk the node's database lives on: offers keep a reserve free, concurrent
// offers are summed, each peer has a quota of bytes in flight, a transfer stops when free space runs
// low mid-way, and stale partial files are collected.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { pair, type Pair } from './fixtures.ts'
import { FrameChannel } from '../../../src/dwcp/amst/channel.ts'
import { newTransferId } from '../../../src/dwcp/amst/sender.ts'
import { DEFAULT_LIMITS, MiB } from '../../../src/dwcp/wire/limits.ts'
import type { Frame } from '../../../src/dwcp/wire/frames.ts'

let space = { availableBytes: 100 * MiB, totalBytes: 1024 * MiB }
const diskSpace = async (): Promise<typeof space> => space

async function offerFrom (p: Pair, from: string, size: number, name = `f-${Math.random().toString(36).slice(2)}.bin`): Promise<{ ch: FrameChannel, id: string, answer: string }> {
  const [s] = await p.net.dialer(from).openStreams('B', 1)
  const ch = new FrameChannel(s, DEFAULT_LIMITS)
  const id = newTransferId()
  await ch.send({ type: 'offer', id, name, size, chunkSize: MiB, fileHash: new Uint8Array(32), delta: null } as Frame)
  const r = await ch.next(2000)
  const answer = !r.ok ? 'aborted' : r.value === null ? 'closed' : r.value.type === 'reject' ? `reject: ${r.value.reason}` : r.value.type
  return { ch, id, answer }
}

test('an offer may not eat into the reserve, and concurrent offers are summed', async (t) => {
  space = { availableBytes: 100 * MiB, totalBytes: 1024 * MiB }
  const p = await pair(t, { receiver: { diskSpace, reserveBytes: 10 * MiB } })
  assert.match((await offerFrom(p, 'E', 95 * MiB)).answer, /^reject: not enough space/, 'the reserve is kept')
  const [first, second] = await Promise.all([offerFrom(p, 'E', 60 * MiB), offerFrom(p, 'F', 60 * MiB)])
  assert.deepEqual([first.answer, second.answer].sort(), ['accept', 'reject: not enough space for 62914560 bytes (keeping 10485760 bytes free for the node)'])
  assert.equal(p.receiver.reservedBytes(), 60 * MiB)
  // Once the accepted transfer goes away its reservation is returned.
  for (const x of [first, second]) x.ch.abort('done')
  for (let i = 0; i < 100 && p.receiver.reservedBytes() > 0; i++) await new Promise(resolve => setTimeout(resolve, 10))
  assert.equal(p.receiver.reservedBytes(), 0)
  assert.equal((await offerFrom(p, 'F', 60 * MiB)).answer, 'accept')
})

test('each peer has its own quota of bytes in flight', async (t) => {
  space = { availableBytes: 10_000 * MiB, totalBytes: 20_000 * MiB }
  const p = await pair(t, { receiver: { diskSpace, reserveBytes: 10 * MiB, perPeerQuotaBytes: 50 * MiB } })
  assert.equal((await offerFrom(p, 'E', 30 * MiB)).answer, 'accept')
  assert.match((await offerFrom(p, 'E', 30 * MiB)).answer, /^reject: over this peer's quota/)
  assert.equal((await offerFrom(p, 'F', 30 * MiB)).answer, 'accept', 'another peer is not held back')
})

test('a transfer stops when free space falls below half the reserve', async (t) => {
  space = { availableBytes: 100 * MiB, totalBytes: 1024 * MiB }
  const p = await pair(t, { receiver: { diskSpace, reserveBytes: 10 * MiB } })
  const data = Buffer.alloc(1024, 7)
  const { ch, id, answer } = await offerFrom(p, 'E', 2 * MiB)
  assert.equal(answer, 'accept')
  space = { availableBytes: 4 * MiB, totalBytes: 1024 * MiB } // the database grew meanwhile
  await ch.send({ type: 'chunk', id, index: 0, codec: 'none', rawLength: data.length, hash: createHash('sha256').update(data).digest(), payload: data } as Frame).catch(() => {})
  const r = await ch.next(2000)
  assert.ok(r.ok && r.value?.type === 'reject' && /disk space/.test(r.value.reason), JSON.stringify(r.ok ? r.value?.type : r.error))
})

test('stale partial files are collected; fresh ones, live ones and delivered files stay', async (t) => {
  const p = await pair(t)
  const old = Date.now() / 1000 - 3 * 24 * 3600
  for (const name of ['.dwcp-aaaa.part', '.dwcp-aaaa.journal', '.dwcp-bbbb.target', 'delivered.bin']) {
    await writeFile(join(p.recvDir, name), 'x')
    await utimes(join(p.recvDir, name), old, old)
  }
  await writeFile(join(p.recvDir, '.dwcp-cccc.part'), 'fresh')
  assert.equal(await p.receiver.collectStale(), 3)
  assert.deepEqual((await readdir(p.recvDir)).sort(), ['.dwcp-cccc.part', 'delivered.bin'])
})
