// zstd dictionaries for many small payloads of one kind (status records, configs). node:zlib's zstd takes
// raw-content dictionaries, so training picks the sample segments richest in substrings that recur across
// samples (a simplified COVER). A dictionary is named by its hash, and each encoded payload names the
// dictionary it needs, so both ends agree or fail loudly.
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { constants, zstdCompressSync } from 'node:zlib'
import { zstdDecode } from '../codecs/zstd.ts'
import { errorMessage, fail, ok } from '../result.ts'
import type { Result } from '../result.ts'

export interface TrainOptions {
  /** Dictionary size; zstd's own default is about 110 KiB, small payloads need much less. */
  maxBytes?: number
  /** Length of the substrings counted. */
  k?: number
  /** Length of the sample pieces the dictionary is made of. */
  segmentBytes?: number
  /** Samples beyond this total are ignored, which bounds training time. */
  maxSampleBytes?: number
}

function kmerHash (b: Uint8Array, at: number, k: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < k; i++) h = Math.imul(h ^ b[at + i], 0x01000193)
  return h >>> 0
}

interface Segment {
  sample: Uint8Array
  start: number
  end: number
  score: number
}

export function trainDictionary (samples: readonly Uint8Array[], opts: TrainOptions = {}): Uint8Array {
  const { maxBytes = 16 * 1024, k = 8, segmentBytes = 256, maxSampleBytes = 4 * 1024 * 1024 } = opts
  const used: Uint8Array[] = []
  let total = 0
  for (const s of samples) {
    if (total + s.byteLength > maxSampleBytes) break
    used.push(s)
    total += s.byteLength
  }
  // How many samples each substring occurs in: substrings in one sample only are not worth a byte.
  const freq = new Map<number, number>()
  for (const s of used) {
    const seen = new Set<number>()
    for (let i = 0; i + k <= s.byteLength; i++) seen.add(kmerHash(s, i, k))
    for (const h of seen) freq.set(h, (freq.get(h) ?? 0) + 1)
  }
  const score = (seg: Segment): number => {
    const seen = new Set<number>()
    let sum = 0
    for (let i = seg.start; i + k <= seg.end; i++) {
      const h = kmerHash(seg.sample, i, k)
      if (seen.has(h)) continue
      seen.add(h)
      const f = freq.get(h) ?? 0
      if (f > 1) sum += f
    }
    return sum
  }
  const segments: Segment[] = []
  for (const s of used) {
    for (let start = 0; start < s.byteLength; start += segmentBytes) {
      const seg = { sample: s, start, end: Math.min(s.byteLength, start + segmentBytes), score: 0 }
      seg.score = score(seg)
      if (seg.score > 0) segments.push(seg)
    }
  }
  // Greedy with lazy rescoring: once a segment is taken its substrings are worth nothing more.
  const chosen: Segment[] = []
  let size = 0
  segments.sort((a, b) => b.score - a.score)
  while (segments.length > 0 && size < maxBytes) {
    const top = segments.shift() as Segment
    const fresh = score(top)
    if (fresh === 0) continue
    if (segments.length > 0 && fresh < segments[0].score) {
      top.score = fresh
      const at = segments.findIndex((s) => s.score <= fresh)
      segments.splice(at < 0 ? segments.length : at, 0, top)
      continue
    }
    chosen.push(top)
    size += top.end - top.start
    for (let i = top.start; i + k <= top.end; i++) freq.set(kmerHash(top.sample, i, k), 0)
  }
  // zstd reaches recent bytes with the cheapest offsets: the most valuable segment goes last.
  const parts = chosen.reverse().map((s) => s.sample.subarray(s.start, s.end))
  return Buffer.concat(parts).subarray(Math.max(0, size - maxBytes))
}

/** 16 hex digits of the dictionary's sha256: its name on the wire and on disk. */
export function dictionaryId (dict: Uint8Array): string {
  return createHash('sha256').update(dict).digest('hex').slice(0, 16)
}

const ID_BYTES = 8
const DICT_SUFFIX = '.zdict'
const PAYLOAD_VERSION = 1

/** Dictionaries both ends hold, by id; an encoded payload carries the id of the one it needs. */
export class DictionaryStore {
  private readonly dicts = new Map<string, Uint8Array>()

  add (dict: Uint8Array): string {
    const id = dictionaryId(dict)
    this.dicts.set(id, new Uint8Array(dict))
    return id
  }

  get (id: string): Uint8Array | undefined {
    return this.dicts.get(id)
  }

  ids (): string[] {
    return [...this.dicts.keys()]
  }

  /** Writes each dictionary as `<id>.zdict`; the name is its hash, so a copy is checked on load. */
  async save (dir: string): Promise<void> {
    await mkdir(dir, { recursive: true })
    for (const [id, dict] of this.dicts) await writeFile(join(dir, `${id}${DICT_SUFFIX}`), dict)
  }

  /** Adds every `<id>.zdict` in `dir` whose content hashes to its id; returns the ids of those that do
   * not (a corrupt or tampered copy is never used). */
  async load (dir: string): Promise<string[]> {
    const bad: string[] = []
    for (const f of await readdir(dir).catch(() => [])) {
      if (!f.endsWith(DICT_SUFFIX)) continue
      const dict = await readFile(join(dir, f))
      const id = f.slice(0, -DICT_SUFFIX.length)
      if (dictionaryId(dict) === id) this.add(dict)
      else bad.push(id)
    }
    return bad
  }

  /** version u8, dictionary id (8 bytes), raw length u32, zstd frame. */
  encode (payload: Uint8Array, id: string, level = 3): Uint8Array {
    const dict = this.dicts.get(id)
    if (dict === undefined) throw new RangeError(`unknown dictionary ${id}`)
    const z = zstdCompressSync(payload, { params: { [constants.ZSTD_c_compressionLevel]: level }, dictionary: dict })
    const head = Buffer.alloc(1 + ID_BYTES + 4)
    head.writeUInt8(PAYLOAD_VERSION, 0)
    head.write(id, 1, 'hex')
    head.writeUInt32BE(payload.byteLength, 1 + ID_BYTES)
    return Buffer.concat([head, z])
  }

  async decode (encoded: Uint8Array, maxBytes: number): Promise<Result<Uint8Array>> {
    if (encoded.byteLength < 1 + ID_BYTES + 4) return fail('dictionary payload too short')
    const b = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength)
    if (b.readUInt8(0) !== PAYLOAD_VERSION) return fail('unsupported dictionary payload version')
    const id = b.subarray(1, 1 + ID_BYTES).toString('hex')
    const dict = this.dicts.get(id)
    if (dict === undefined) return fail(`unknown dictionary ${id}`)
    const rawLength = b.readUInt32BE(1 + ID_BYTES)
    if (rawLength > maxBytes) return fail(`payload of ${rawLength} bytes beyond the limit ${maxBytes}`)
    try {
      const raw = await zstdDecode(b.subarray(1 + ID_BYTES + 4), rawLength, dict)
      if (raw.byteLength !== rawLength) return fail('dictionary payload length mismatch')
      return ok(raw)
    } catch (e) {
      return fail(`dictionary payload does not decode: ${errorMessage(e)}`)
    }
  }
}
