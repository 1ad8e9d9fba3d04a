import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { mkdir, readdir } from 'node:fs/promises'
import { TransferSender } from '../../../src/dwcp/amst/sender.ts'
import { pair, sha256Of, writeFileOf } from './fixtures.ts'
import type { Kind } from './fixtures.ts'

const CHUNK = 64 * 1024

for (const kind of ['random', 'text', 'vm'] as Kind[]) {
  test(`${kind} files of 0 B, 1 B, one chunk ±1 and several chunks round-trip over 3 streams`, async (t) => {
    const p = await pair(t)
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 7]) {
      const name = `${kind}-${size}.bin`
      const src = join(p.srcDir, name)
      const hash = await writeFileOf(src, kind, size, name)
      const s = await p.sender.send({ file: src, to: 'B', streams: 3, chunkSize: CHUNK, codec: 'auto' })
      assert.deepEqual(await sha256Of(join(p.recvDir, name)), hash, name)
      assert.equal(s.rawBytes, size)
      assert.equal(s.chunks, Math.ceil(size / CHUNK))
      assert.equal(Object.values(s.codecMix).reduce((a, b) => a + b, 0), s.chunks)
      if (kind !== 'random' && size > CHUNK) assert.ok(s.ratio < 0.6, `${name} ratio ${s.ratio}`)
    }
    // Nothing but the delivered files is left behind.
    assert.ok((await readdir(p.recvDir)).every((f) => !f.startsWith('.dwcp-')))
  })
}

test('two senders deliver to one receiver at once, and a directory in the way fails cleanly', async (t) => {
  const p = await pair(t)
  const a = join(p.srcDir, 'a.bin')
  const b = join(p.srcDir, 'b.bin')
  const ha = await writeFileOf(a, 'text', 400_000, 'a')
  const hb = await writeFileOf(b, 'vm', 400_000, 'b')
  const other = new TransferSender({ dialer: p.net.dialer('C') })
  await Promise.all([p.sender.send({ file: a, to: 'B', chunkSize: CHUNK }), other.send({ file: b, to: 'B', chunkSize: CHUNK })])
  assert.deepEqual(await sha256Of(join(p.recvDir, 'a.bin')), ha)
  assert.deepEqual(await sha256Of(join(p.recvDir, 'b.bin')), hb)
  await mkdir(join(p.recvDir, 'dir.bin', 'inner'), { recursive: true })
  const d = join(p.srcDir, 'dir.bin')
  await writeFileOf(d, 'text', 1000)
  await assert.rejects(p.sender.send({ file: d, to: 'B' }), /cannot deliver/)
})

test('a file with more chunks than the limit is sent in larger chunks', async (t) => {
  const p = await pair(t, { sender: { limits: { maxChunks: 16 } } })
  const src = join(p.srcDir, 'many.bin')
  const hash = await writeFileOf(src, 'text', 64 * 4096)
  const s = await p.sender.send({ file: src, to: 'B', chunkSize: 4096 })
  assert.equal(s.chunks, 16)
  assert.equal(s.chunkSize, 16384)
  assert.deepEqual(await sha256Of(join(p.recvDir, 'many.bin')), hash)
})
