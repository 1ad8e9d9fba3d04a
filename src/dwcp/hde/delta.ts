// The delta container: how to rebuild a new version from the receiver's old one. Layout (big-endian):
// magic "NCDL", version u8, target size u64, target sha256, FastCDC min/avg/max u32, then ops:
// COPY (1, base chunk index u32, count u32) copies consecutive chunks of the old version;
// LITERAL (2, length u32, bytes) carries new bytes; END (0). Both ends write and read it as a stream.
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { validCdcParams } from './fastcdc.ts'
import { cutFile } from './cut.ts'
import type { CdcParams } from './fastcdc.ts'
import { signFile, signatureCount, signatureEntry } from './signature.ts'
import type { ChunkTable, Signature } from './signature.ts'
import { HASH_BYTES } from '../wire/limits.ts'
import { fail, ok } from '../result.ts'
import type { Result } from '../result.ts'

const MAGIC = Buffer.from('NCDL')
const VERSION = 1
const OP_END = 0
const OP_COPY = 1
const OP_LITERAL = 2
const HEADER_BYTES = 4 + 1 + 8 + HASH_BYTES + 12

export interface DeltaStats {
  targetSize: number
  targetHash: Buffer
  copiedBytes: number
  literalBytes: number
  deltaBytes: number
}

/** Buffers small writes into large sequential ones. */
class SequentialWriter {
  private readonly fh: FileHandle
  private readonly buf = Buffer.allocUnsafe(1024 * 1024)
  private used = 0
  written = 0

  constructor (fh: FileHandle) {
    this.fh = fh
  }

  async write (data: Uint8Array): Promise<void> {
    if (this.used + data.byteLength > this.buf.byteLength) await this.flush()
    if (data.byteLength >= this.buf.byteLength) {
      await this.fh.write(data)
    } else {
      this.buf.set(data, this.used)
      this.used += data.byteLength
    }
    this.written += data.byteLength
  }

  async flush (): Promise<void> {
    if (this.used === 0) return
    await this.fh.write(this.buf.subarray(0, this.used))
    this.used = 0
  }
}

function header (size: number, hash: Uint8Array, s: Signature): Buffer {
  const h = Buffer.alloc(HEADER_BYTES)
  MAGIC.copy(h, 0)
  h.writeUInt8(VERSION, 4)
  h.writeBigUInt64BE(BigInt(size), 5)
  h.set(hash, 13)
  h.writeUInt32BE(s.params.minSize, 13 + HASH_BYTES)
  h.writeUInt32BE(s.params.avgSize, 17 + HASH_BYTES)
  h.writeUInt32BE(s.params.maxSize, 21 + HASH_BYTES)
  return h
}

/** The new version's chunks, computed while the receiver signs its old one. */
export interface Manifest {
  params: CdcParams
  size: number
  hash: Buffer
  /** Chunk lengths in file order (offsets are their running sum). */
  lengths: Uint32Array
  /** count × SIGNATURE_HASH_BYTES digests, as in a Signature. */
  digests: Buffer
}

export async function manifestOf (path: string, params: CdcParams): Promise<Manifest> {
  const cut = await cutFile(path, params, { wholeHash: true })
  return { params, size: cut.size, hash: cut.hash as Buffer, lengths: cut.lengths, digests: cut.digests }
}

/** Bytes of the new version the base lacks, known before anything is written. */
export function literalBytesOf (manifest: Manifest, base: Signature): number {
  const have = new Set<string>()
  for (let i = 0; i < signatureCount(base); i++) have.add(signatureEntry(base, i))
  const mine: Signature = { params: manifest.params, hashes: manifest.digests }
  let literal = 0
  for (let i = 0; i < manifest.lengths.length; i++) if (!have.has(signatureEntry(mine, i))) literal += manifest.lengths[i]
  return literal
}

/**
 * Writes the delta that turns the version signed by `base` into the file at `path`, whose chunks are
 * `manifest` (cut with the signature's parameters). Only literal chunks are read again.
 */
export async function buildDelta (path: string, manifest: Manifest, base: Signature, outPath: string): Promise<DeltaStats> {
  if (JSON.stringify(manifest.params) !== JSON.stringify(base.params)) throw new RangeError('manifest and signature were cut with different parameters')
  const index = new Map<string, number>()
  const count = signatureCount(base)
  for (let i = count - 1; i >= 0; i--) index.set(signatureEntry(base, i), i)
  const mine: Signature = { params: manifest.params, hashes: manifest.digests }
  const src = await open(path, 'r')
  const out = await open(outPath, 'w')
  try {
    const w = new SequentialWriter(out)
    await w.write(header(manifest.size, manifest.hash, base))
    let copiedBytes = 0
    let literalBytes = 0
    let run: { start: number, count: number } | null = null
    const flushRun = async (): Promise<void> => {
      if (run === null) return
      const op = Buffer.alloc(9)
      op.writeUInt8(OP_COPY, 0)
      op.writeUInt32BE(run.start, 1)
      op.writeUInt32BE(run.count, 5)
      await w.write(op)
      run = null
    }
    let offset = 0
    for (let i = 0; i < manifest.lengths.length; i++) {
      const length = manifest.lengths[i]
      const key = signatureEntry(mine, i)
      // Prefer extending the current run, so repeated chunks (zeros) still make one long copy.
      const next: number = run === null ? -1 : run.start + run.count
      const at = next >= 0 && next < count && signatureEntry(base, next) === key ? next : index.get(key)
      if (at !== undefined) {
        copiedBytes += length
        if (run !== null && at === next) {
          run.count++
        } else {
          await flushRun()
          run = { start: at, count: 1 }
        }
      } else {
        await flushRun()
        const op = Buffer.alloc(5 + length)
        op.writeUInt8(OP_LITERAL, 0)
        op.writeUInt32BE(length, 1)
        const { bytesRead } = await src.read(op, 5, length, offset)
        if (bytesRead !== length) throw new Error(`${path} changed while its delta was built`)
        await w.write(op)
        literalBytes += length
      }
      offset += length
    }
    await flushRun()
    await w.write(Buffer.from([OP_END]))
    await w.flush()
    return { targetSize: manifest.size, targetHash: manifest.hash, copiedBytes, literalBytes, deltaBytes: w.written }
  } finally {
    await Promise.allSettled([src.close(), out.close()])
  }
}

/** Sequential reads of the delta with bounds checks; a delta is untrusted input. */
class DeltaReader {
  private readonly fh: FileHandle
  private pos = 0

  constructor (fh: FileHandle) {
    this.fh = fh
  }

  async bytes (n: number): Promise<Buffer> {
    const b = Buffer.allocUnsafe(n)
    const { bytesRead } = await this.fh.read(b, 0, n, this.pos)
    if (bytesRead !== n) throw new Error('delta truncated')
    this.pos += n
    return b
  }
}

/**
 * Rebuilds the target from `basePath` and the delta at `deltaPath` into `outPath`, refusing any op that
 * points outside the base or grows past the declared size, and checks the result against the declared
 * hash (and `expect`, what the offer said).
 */
export async function applyDelta (
  basePath: string, deltaPath: string, outPath: string, expect: { size: number, hash: Uint8Array },
  chunkTable: (path: string, params: CdcParams) => Promise<ChunkTable> = signFile
): Promise<Result<DeltaStats>> {
  const delta = await open(deltaPath, 'r')
  const base = await open(basePath, 'r')
  const out = await open(outPath, 'w')
  try {
    const r = new DeltaReader(delta)
    const head = await r.bytes(HEADER_BYTES)
    if (!head.subarray(0, 4).equals(MAGIC) || head.readUInt8(4) !== VERSION) return fail('not a version 1 delta')
    const size = Number(head.readBigUInt64BE(5))
    const hash = head.subarray(13, 13 + HASH_BYTES)
    if (size !== expect.size || !hash.equals(expect.hash)) return fail('delta header does not match the offer')
    const params = { minSize: head.readUInt32BE(13 + HASH_BYTES), avgSize: head.readUInt32BE(17 + HASH_BYTES), maxSize: head.readUInt32BE(21 + HASH_BYTES) }
    if (!validCdcParams(params)) return fail('bad chunking parameters in delta')
    const { offsets } = await chunkTable(basePath, params)
    const baseChunks = offsets.length - 1
    const w = new SequentialWriter(out)
    const whole = createHash('sha256')
    let copiedBytes = 0
    let literalBytes = 0
    const emit = async (data: Uint8Array): Promise<void> => {
      if (w.written + data.byteLength > size) throw new Error('delta grows past the declared size')
      whole.update(data)
      await w.write(data)
    }
    while (true) {
      const op = (await r.bytes(1)).readUInt8(0)
      if (op === OP_END) break
      if (op === OP_COPY) {
        const b = await r.bytes(8)
        const start = b.readUInt32BE(0)
        const n = b.readUInt32BE(4)
        if (n === 0 || start + n > baseChunks) return fail('delta copies chunks the base does not have')
        const fromOffset = offsets[start]
        const length = offsets[start + n] - fromOffset
        copiedBytes += length
        for (let off = 0; off < length; off += 1024 * 1024) {
          const part = Buffer.allocUnsafe(Math.min(1024 * 1024, length - off))
          await base.read(part, 0, part.byteLength, fromOffset + off)
          await emit(part)
        }
      } else if (op === OP_LITERAL) {
        const length = (await r.bytes(4)).readUInt32BE(0)
        if (length > params.maxSize) return fail('delta literal longer than a chunk')
        literalBytes += length
        await emit(await r.bytes(length))
      } else {
        return fail(`unknown delta op ${op}`)
      }
    }
    await w.flush()
    if (w.written !== size) return fail(`delta rebuilt ${w.written} bytes, expected ${size}`)
    const got = whole.digest()
    if (!got.equals(hash)) return fail('rebuilt file does not match the target hash')
    await out.sync()
    return ok({ targetSize: size, targetHash: got, copiedBytes, literalBytes, deltaBytes: (await delta.stat()).size })
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e))
  } finally {
    await Promise.allSettled([delta.close(), base.close(), out.close()])
  }
}
