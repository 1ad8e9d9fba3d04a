import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createCodec, CODEC_NAMES } from '../../../src/dwcp/codecs/registry.ts'
import { decodePayload } from '../../../src/dwcp/codecs/decode.ts'
import { byteEntropy, RuleSelector } from '../../../src/dwcp/codecs/select.ts'
import { ZstdCodec } from '../../../src/dwcp/codecs/zstd.ts'
import { blocks } from './fixtures.ts'
import { dataSet } from '../../helpers/data.ts'

const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest()
const first = (kind: 'random' | 'text' | 'vm', n: number): Buffer => blocks(kind, n, 'codec').next().value as Buffer

test('every codec round-trips empty, tiny, text, random and sparse chunks', async () => {
  const inputs = [Buffer.alloc(0), Buffer.from('a'), first('text', 100_000), first('random', 70_000), first('vm', 200_000)]
  for (const name of CODEC_NAMES) {
    const codec = createCodec(name)
    for (const raw of inputs) {
      const enc = await codec.encode(raw)
      const dec = await decodePayload(name, enc, raw.byteLength, sha(raw))
      assert.ok(dec.ok, `${name} ${raw.byteLength}: ${dec.ok ? '' : dec.error}`)
      assert.deepEqual(Buffer.from(dec.value), raw)
    }
  }
})

test('zstd levels trade speed for ratio and all decode alike', async () => {
  const raw = first('text', 200_000)
  const sizes = await Promise.all([1, 9, 19].map(async (l) => (await new ZstdCodec(l).encode(raw)).byteLength))
  assert.ok(sizes[2] <= sizes[0], `level 19 ${sizes[2]} vs level 1 ${sizes[0]}`)
  assert.throws(() => new ZstdCodec(0), RangeError)
})

test('decoding refuses a lying raw length, a bad hash and garbage without throwing', async () => {
  const raw = first('text', 50_000)
  for (const name of ['zstd', 'lz4', 'snappy'] as const) {
    const enc = await createCodec(name).encode(raw)
    assert.equal((await decodePayload(name, enc, raw.byteLength - 1, sha(raw))).ok, false, `${name} short`)
    assert.equal((await decodePayload(name, enc, raw.byteLength, sha(Buffer.from('x')))).ok, false, `${name} hash`)
    assert.equal((await decodePayload(name, Buffer.from('garbage!garbage!'), raw.byteLength, sha(raw))).ok, false, `${name} garbage`)
  }
  // A 1 KiB zstd bomb declared as 10 bytes is cut off at 10.
  const bomb = await createCodec('zstd').encode(Buffer.alloc(50_000_000))
  assert.equal((await decodePayload('zstd', bomb, 10, sha(Buffer.alloc(10)))).ok, false)
})

test('auto skips random data, takes cheap codecs on fast links and strong ones on slow links', () => {
  const sel = new RuleSelector()
  assert.ok(byteEntropy(first('random', 16384)) > 7.9)
  assert.equal(sel.choose(first('random', 65536), { bandwidthMbps: 100, rttMs: 10 }).name, 'none')
  assert.equal(sel.choose(Buffer.from('tiny'), { bandwidthMbps: 100, rttMs: 10 }).name, 'none')
  const text = first('text', 65536)
  assert.match(sel.choose(text, { bandwidthMbps: 2500, rttMs: 0.2 }).label, /^(lz4|zstd-1)$/)
  assert.equal(sel.choose(text, { bandwidthMbps: 100_000, rttMs: 0.1 }).name, 'none')
  assert.match(sel.choose(text, { bandwidthMbps: 10, rttMs: 80 }).label, /^zstd-(6|9)$/)
})

const corpus = dataSet('compression')
test('auto against the fixed codecs on the compression corpus', { skip: corpus.skip }, async () => {
  const dir = corpus.path as string
  const files: string[] = []
  for (const sub of await readdir(dir)) {
    for (const f of await readdir(join(dir, sub)).catch(() => [])) {
      const p = join(dir, sub, f)
      if ((await stat(p)).isFile()) files.push(p)
    }
  }
  assert.ok(files.length > 0)
  const sel = new RuleSelector()
  const link = { bandwidthMbps: 100, rttMs: 20 }
  for (const path of files) {
    const raw = (await readFile(path)).subarray(0, 1 << 20)
    const auto = sel.choose(raw, link)
    const autoBytes = Math.min(raw.byteLength, (await auto.encode(raw)).byteLength)
    const best = Math.min(...await Promise.all(['zstd', 'lz4', 'snappy'].map(async (n) => (await createCodec(n as 'zstd').encode(raw)).byteLength)), raw.byteLength)
    // On a 100 Mbit/s link the link is the bottleneck, so auto is at least as small as the best fixed codec.
    assert.ok(autoBytes <= best * 1.05 + 64, `${path}: auto ${auto.label} ${autoBytes} vs best ${best}`)
  }
})
