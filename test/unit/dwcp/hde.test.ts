import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pair, randomStream, sha256Of, tempDir, writeFileOf } from './fixtures.ts'
import { chunkBuffer, cdcParamsFor, createChunker, SEGMENT_BYTES } from '../../../src/dwcp/hde/fastcdc.ts'
import { cutFile } from '../../../src/dwcp/hde/cut.ts'
import { applyDelta, buildDelta, manifestOf } from '../../../src/dwcp/hde/delta.ts'
import { signFile } from '../../../src/dwcp/hde/signature.ts'
import { DictionaryStore, dictionaryId, trainDictionary } from '../../../src/dwcp/hde/dictionary.ts'
import { ZstdCodec } from '../../../src/dwcp/codecs/zstd.ts'

const MiB = 1024 * 1024

test('FastCDC respects min and max, clusters near the average, and resynchronizes after an insertion', () => {
  const params = { minSize: 2048, avgSize: 8192, maxSize: 65536 }
  const data = randomStream('cdc')(4 * MiB)
  const chunks = chunkBuffer(data, params)
  assert.equal(chunks.reduce((s, c) => s + c.length, 0), data.byteLength)
  for (const c of chunks.slice(0, -1)) assert.ok(c.length >= params.minSize && c.length <= params.maxSize)
  const avg = data.byteLength / chunks.length
  assert.ok(avg > params.avgSize / 2 && avg < params.avgSize * 2, `average ${avg}`)
  const shifted = Buffer.concat([Buffer.from('inserted bytes'), data])
  const cuts = new Set(chunks.map((c) => c.offset + c.length))
  const shiftedCuts = chunkBuffer(shifted, params).map((c) => c.offset + c.length - 14)
  const shared = shiftedCuts.filter((c) => cuts.has(c)).length
  assert.ok(shared > chunks.length * 0.95, `${shared} of ${chunks.length} cut points survive`)
  assert.throws(() => createChunker({ minSize: 10, avgSize: 3000, maxSize: 1 }), RangeError)
})

/** Overwrites `fraction` of the 4 KiB blocks of a file with random data, chosen uniformly at random. */
async function modifyBlocks (path: string, size: number, fraction: number): Promise<number> {
  const rnd = randomStream('modify')
  const blocksN = size / 4096
  const n = Math.round(blocksN * fraction)
  const fh = await open(path, 'r+')
  const picks = rnd(4 * n)
  for (let i = 0; i < n; i++) await fh.write(rnd(4096), 0, 4096, (picks.readUInt32BE(i * 4) % blocksN) * 4096)
  await fh.close()
  return n
}

test('a delta of a 64 MB image with 1% of its 4 KiB blocks changed reconstructs exactly and sends a few %', async (t) => {
  const p = await pair(t)
  const size = 64 * MiB
  const v1 = join(p.srcDir, 'v1.img')
  const v2 = join(p.srcDir, 'v2.img')
  await writeFileOf(v1, 'random', size, 'image')
  await copyFile(v1, join(p.recvDir, 'disk.img'))
  await copyFile(v1, v2)
  await modifyBlocks(v2, size, 0.01)
  const hash = await sha256Of(v2)
  const s = await p.sender.sendDelta({ file: v2, to: 'B', name: 'disk.img', baseName: 'disk.img' })
  assert.deepEqual(await sha256Of(join(p.recvDir, 'disk.img')), hash)
  assert.equal(s.rawBytes, size)
  assert.ok(s.delta !== undefined)
  assert.ok(s.ratio < 0.05, `sent ${(s.ratio * 100).toFixed(2)}% of the image`)
  assert.ok((s.delta.signatureBytes) / size < 0.01, 'the signature is small too')
})

test('delta falls back to a full send when the receiver lacks the base or it shares little', async (t) => {
  const p = await pair(t)
  const src = join(p.srcDir, 'new.bin')
  const hash = await writeFileOf(src, 'text', 300_000)
  const s = await p.sender.sendDelta({ file: src, to: 'B', baseName: 'missing.bin' })
  assert.equal(s.delta, undefined)
  assert.deepEqual(await sha256Of(join(p.recvDir, 'new.bin')), hash)
  await writeFileOf(join(p.recvDir, 'other.bin'), 'random', 300_000)
  const unrelated = await p.sender.sendDelta({ file: src, to: 'B', name: 'other.bin', baseName: 'other.bin' })
  assert.equal(unrelated.delta, undefined)
  assert.deepEqual(await sha256Of(join(p.recvDir, 'other.bin')), hash)
})

test('applying a delta refuses a mismatched target and out-of-range copies', async (t) => {
  const dir = await tempDir(t)
  const base = join(dir, 'base')
  const next = join(dir, 'next')
  const delta = join(dir, 'delta')
  await writeFileOf(base, 'vm', 2 * MiB, 'a')
  const raw = await readFile(base)
  await writeFile(next, Buffer.concat([raw.subarray(0, MiB), Buffer.from('changed'), raw.subarray(MiB)]))
  const { signature } = await signFile(base, cdcParamsFor(2 * MiB))
  const stats = await buildDelta(next, await manifestOf(next, signature.params), signature, delta)
  assert.ok(stats.literalBytes < 64 * 1024, `literal ${stats.literalBytes}`)
  const out = join(dir, 'out')
  const good = await applyDelta(base, delta, out, { size: stats.targetSize, hash: stats.targetHash })
  assert.ok(good.ok)
  assert.deepEqual(await readFile(out), await readFile(next))
  assert.equal((await applyDelta(base, delta, out, { size: stats.targetSize, hash: Buffer.alloc(32) })).ok, false)
  // A base that shrank: the copies now point past its end.
  await writeFile(base, raw.subarray(0, 1000))
  assert.equal((await applyDelta(base, delta, out, { size: stats.targetSize, hash: stats.targetHash })).ok, false)
})

test('a trained zstd dictionary shrinks small payloads of one kind, and ids keep both ends in step', async () => {
  const records = (seed: string, n: number): Buffer[] => {
    const r = randomStream(seed)(n * 4)
    return Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify({
      node: `node-${r[i * 4] % 16}`, cpu: r[i * 4 + 1] % 64, memMiB: 1024 * (r[i * 4 + 2] % 32), status: ['running', 'stopped', 'migrating'][r[i * 4 + 3] % 3], region: 'eu-west-1', labels: { tier: 'gold', owner: 'platform' }
    })))
  }
  const dict = trainDictionary(records('train', 500), { maxBytes: 4096 })
  assert.ok(dict.byteLength > 0 && dict.byteLength <= 4096)
  const sender = new DictionaryStore()
  const receiver = new DictionaryStore()
  const id = sender.add(dict)
  assert.equal(id, dictionaryId(dict))
  const test = records('test', 50)
  let withDict = 0
  let without = 0
  const plain = new ZstdCodec(3)
  for (const rec of test) {
    const enc = sender.encode(rec, id)
    withDict += enc.byteLength
    without += (await plain.encode(rec)).byteLength
    assert.equal((await receiver.decode(enc, 1 << 20)).ok, false, 'unknown dictionary is refused')
  }
  assert.ok(withDict < without * 0.6, `with dictionary ${withDict} vs ${without}`)
  receiver.add(dict)
  for (const rec of test) {
    const dec = await receiver.decode(sender.encode(rec, id), 1 << 20)
    assert.ok(dec.ok)
    assert.deepEqual(Buffer.from(dec.value), rec)
  }
  assert.equal((await receiver.decode(sender.encode(test[0], id), 10)).ok, false, 'size limit holds')
})

test('dictionaries saved to disk load back only if their content matches their id', async (t) => {
  const dir = await tempDir(t)
  const store = new DictionaryStore()
  const id = store.add(Buffer.from('{"node":"node-1","status":"running"}'.repeat(10)))
  await store.save(dir)
  await writeFile(join(dir, `${'0'.repeat(16)}.zdict`), 'tampered')
  const loaded = new DictionaryStore()
  assert.deepEqual(await loaded.load(dir), ['0'.repeat(16)])
  assert.deepEqual(loaded.ids(), [id])
})

test('cutting segments on worker threads gives exactly the inline cut', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'two-segments.img')
  await writeFileOf(path, 'vm', SEGMENT_BYTES + 3 * MiB + 5, 'segments')
  const params = cdcParamsFor(SEGMENT_BYTES)
  const inline = await cutFile(path, params, { workers: 0, wholeHash: true })
  const threaded = await cutFile(path, params, { workers: 2, wholeHash: true })
  assert.deepEqual(threaded.lengths, inline.lengths)
  assert.ok(threaded.digests.equals(inline.digests))
  assert.deepEqual(threaded.hash, await sha256Of(path))
  // The forced cut at the segment boundary.
  let offset = 0
  const cuts = new Set<number>()
  for (const l of inline.lengths) cuts.add(offset += l)
  assert.ok(cuts.has(SEGMENT_BYTES))
})
