import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pair, sha256Of, writeFileOf } from './fixtures.ts'
import type { Pair } from './fixtures.ts'
import { FrameChannel } from '../../../src/dwcp/amst/channel.ts'
import { newTransferId } from '../../../src/dwcp/amst/sender.ts'
import { DEFAULT_LIMITS } from '../../../src/dwcp/wire/limits.ts'
import type { Frame } from '../../../src/dwcp/wire/frames.ts'
import { encodeFrame } from '../../../src/dwcp/wire/frames.ts'
import { checkName } from '../../../src/dwcp/amst/names.ts'

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest()

async function raw (p: Pair): Promise<FrameChannel> {
  const [s] = await p.net.dialer('E').openStreams('B', 1)
  return new FrameChannel(s, DEFAULT_LIMITS)
}

/** What the receiver answers to `frames`: its first reply frame type, or the end/failure of the stream. */
async function answer (p: Pair, frames: Array<Frame | Uint8Array>): Promise<string> {
  const ch = await raw(p)
  for (const f of frames) await (f instanceof Uint8Array ? ch.sendEncoded(f) : ch.send(f)).catch(() => {})
  const r = await ch.next(2000)
  if (!r.ok) return 'aborted'
  if (r.value === null) return 'closed'
  if (r.value.type === 'reject') return `reject: ${r.value.reason}`
  return r.value.type
}

const offer = (over: Partial<Frame & { type: 'offer' }>): Frame => ({
  type: 'offer', id: newTransferId(), name: 'ok.bin', size: 10, chunkSize: 65536, fileHash: new Uint8Array(32), delta: null, ...over
} as Frame)

test('names that could leave the receive directory are refused', () => {
  for (const bad of ['', '.', '..', '../x', 'a/../../b', '/etc/passwd', 'a/b', 'a\\b', 'x\u0000y', 'tab\there', '.dwcp-abc.part', 'x'.repeat(256)]) {
    assert.equal(checkName(bad).ok, false, JSON.stringify(bad))
  }
  for (const good of ['disk.img', 'vm-17.qcow2', 'ünïcødé.bin', '.hidden']) assert.equal(checkName(good).ok, true, good)
})

test('a hostile sender is refused without harm', async (t) => {
  const p = await pair(t)
  const parent = dirname(p.recvDir)
  const before = (await readdir(parent)).sort()
  const refusals: Array<[string, Array<Frame | Uint8Array>]> = [
    ['../ name', [offer({ name: '../escape.bin' })]],
    ['absolute name', [offer({ name: '/tmp/escape.bin' })]],
    ['NUL in name', [offer({ name: 'a\u0000b' })]],
    ['huge declared size', [offer({ size: 2 ** 52 })]],
    ['zero chunk size', [offer({ chunkSize: 0 })]],
    ['huge chunk size', [offer({ chunkSize: 2 ** 31 })]],
    ['delta base outside', [offer({ delta: { baseName: '../../etc/passwd', targetSize: 1, targetHash: new Uint8Array(32) } })]],
    ['signature of a file outside', [{ type: 'sig-request', id: newTransferId(), baseName: '../src', params: { minSize: 1024, avgSize: 4096, maxSize: 32768 } }]]
  ]
  for (const [what, frames] of refusals) assert.match(await answer(p, frames), /^reject/, what)

  const garbage: Array<[string, Array<Frame | Uint8Array>]> = [
    ['garbage first frame', [new Uint8Array([1, 2, 3])]],
    ['wrong version', [new Uint8Array([9, 1, ...new Uint8Array(40)])]],
    ['join of an unknown transfer', [{ type: 'join', id: newTransferId() }]],
    ['a chunk without an offer', [{ type: 'chunk', id: newTransferId(), index: 0, codec: 'none', rawLength: 1, hash: sha(Buffer.from('a')), payload: Buffer.from('a') }]]
  ]
  for (const [what, frames] of garbage) assert.equal(await answer(p, frames), 'aborted', what)

  // Inside an accepted transfer: a wrong length, an index past the end, a payload longer than declared.
  const data = Buffer.from('0123456789')
  for (const [what, chunk] of [
    ['wrong raw length', { index: 0, rawLength: 9, payload: data.subarray(0, 9) }],
    ['index past the end', { index: 5, rawLength: 10, payload: data }]
  ] as const) {
    const o = offer({ fileHash: sha(data) })
    const ch = await raw(p)
    await ch.send(o)
    const acc = await ch.next(2000)
    assert.ok(acc.ok && acc.value?.type === 'accept', what)
    await ch.send({ type: 'chunk', id: o.id, codec: 'none', hash: sha(chunk.payload), ...chunk })
    const r = await ch.next(2000)
    assert.ok(r.ok && r.value?.type === 'reject', `${what}: ${JSON.stringify(r)}`)
  }
  {
    const o = offer({ fileHash: sha(data) })
    const ch = await raw(p)
    await ch.send(o)
    await ch.next(2000)
    const frame = encodeFrame({ type: 'chunk', id: o.id, index: 0, codec: 'none', rawLength: 10, hash: sha(data), payload: data })
    await ch.sendEncoded(Buffer.concat([frame, Buffer.from('extra')]))
    assert.equal((await ch.next(2000)).ok, false, 'trailing bytes abort the stream')
  }
  // A complete with chunks missing fails the transfer and leaves no file.
  {
    const o = offer({ fileHash: sha(data) })
    const ch = await raw(p)
    await ch.send(o)
    await ch.next(2000)
    await ch.send({ type: 'complete', id: o.id })
    const r = await ch.next(2000)
    assert.ok(r.ok && r.value?.type === 'result' && !r.value.ok)
  }
  assert.deepEqual((await readdir(parent)).sort(), before, 'nothing written beside the receive dir')
  assert.ok((await readdir(p.recvDir)).every((f) => f.startsWith('.dwcp-')), 'no delivered file')

  // The receiver still serves an honest sender afterwards.
  const src = join(p.srcDir, 'after.bin')
  const hash = await writeFileOf(src, 'text', 100_000)
  await p.sender.send({ file: src, to: 'B' })
  assert.deepEqual(await sha256Of(join(p.recvDir, 'after.bin')), hash)
})

test('a symlink planted at the destination name is replaced, not followed', async (t) => {
  const p = await pair(t)
  const outside = join(dirname(p.recvDir), 'outside.txt')
  await writeFile(outside, 'untouched')
  await symlink(outside, join(p.recvDir, 'link.bin'))
  const src = join(p.srcDir, 'link.bin')
  await writeFileOf(src, 'random', 1000)
  await p.sender.send({ file: src, to: 'B' })
  const { readFile } = await import('node:fs/promises')
  assert.equal(await readFile(outside, 'utf8'), 'untouched')
})
