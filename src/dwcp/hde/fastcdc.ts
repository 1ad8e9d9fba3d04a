// FastCDC content-defined chunking (Xia et al., USENIX ATC 2016): a gear rolling hash, cut points
// skipped for the first minSize bytes, and normalized chunking (a stricter mask before avgSize, a looser
// one after) so chunk sizes cluster near the average. An insertion moves only the cut points near it,
// so a changed file shares most chunks with its older version.
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import type { CdcParams } from '../wire/frames.ts'

export type { CdcParams }

/** Gear table derived from a fixed seed: both ends must cut identically, so it is part of the format. */
const GEAR = (() => {
  const table = new Int32Array(256)
  for (let i = 0; i < 256; i++) table[i] = createHash('sha256').update(`novacron/dwcp/fastcdc/gear/v1/${i}`).digest().readInt32BE(0)
  return table
})()

/** A mask of `bits` ones taken from the high end, where the gear hash mixes the most recent 32 bytes. */
function highMask (bits: number): number {
  return bits <= 0 ? 0 : (((2 ** bits) - 1) * 2 ** (32 - bits)) | 0
}

export interface Chunker {
  readonly params: CdcParams
  /** Length of the chunk that starts at `start`, with bytes up to `end` available (all of them when a
   * maximal chunk does not fit, which only happens at the end of the input). */
  cut (buf: Uint8Array, start: number, end: number): number
}

export function validCdcParams (p: CdcParams): boolean {
  return Number.isInteger(p.minSize) && Number.isInteger(p.avgSize) && Number.isInteger(p.maxSize) &&
    p.minSize >= 64 && p.minSize <= p.avgSize && p.avgSize <= p.maxSize && p.maxSize <= 16 * 1024 * 1024 &&
    Number.isInteger(Math.log2(p.avgSize))
}

export function createChunker (params: CdcParams): Chunker {
  if (!validCdcParams(params)) throw new RangeError(`bad FastCDC parameters ${JSON.stringify(params)}`)
  const bits = Math.log2(params.avgSize)
  // Normalization level 2: two bits stricter below the average, two looser above it.
  const maskS = highMask(bits + 2)
  const maskL = highMask(bits - 2)
  const { minSize, avgSize, maxSize } = params
  return {
    params,
    cut (buf: Uint8Array, start: number, end: number): number {
      let len = end - start
      if (len <= minSize) return len
      if (len > maxSize) len = maxSize
      const normal = Math.min(avgSize, len)
      let hash = 0
      let i = minSize
      for (; i < normal; i++) {
        hash = ((hash << 1) + GEAR[buf[start + i]]) | 0
        if ((hash & maskS) === 0) return i + 1
      }
      for (; i < len; i++) {
        hash = ((hash << 1) + GEAR[buf[start + i]]) | 0
        if ((hash & maskL) === 0) return i + 1
      }
      return len
    }
  }
}

/** Parameters for chunking a file of `size`: 4 KiB chunks, larger only to keep a signature under
 * about a million entries. */
export function cdcParamsFor (size: number): CdcParams {
  let avgSize = 4096
  while (size / avgSize > (1 << 20) && avgSize < (1 << 20)) avgSize *= 2
  return { minSize: avgSize / 4, avgSize, maxSize: avgSize * 8 }
}

export interface CdcChunk {
  offset: number
  /** A view valid only until the generator resumes: hash or copy it at once. */
  data: Uint8Array
}

const READ_BLOCK = 4 * 1024 * 1024

/**
 * Part of the format: a cut is forced at every multiple of SEGMENT_BYTES, so segments can be chunked in
 * parallel and still cut exactly alike on both ends. It costs a chunk or two per segment after an
 * insertion, since chunking resynchronizes within a few chunks.
 */
export const SEGMENT_BYTES = 64 * 1024 * 1024

/** Chunks bytes [from, to) of a file (the whole file by default) in a bounded buffer: one read block
 * plus one maximal chunk. */
export async function * chunkFile (path: string, params: CdcParams, from = 0, to = Infinity): AsyncGenerator<CdcChunk> {
  const chunker = createChunker(params)
  const buf = new Uint8Array(READ_BLOCK + params.maxSize)
  const fh = await open(path, 'r')
  try {
    let start = 0
    let end = 0
    let fileOffset = from
    let readAt = from
    let eof = false
    while (true) {
      while (end - start >= params.maxSize || (eof && end > start)) {
        const len = chunker.cut(buf, start, end)
        yield { offset: fileOffset, data: buf.subarray(start, start + len) }
        start += len
        fileOffset += len
      }
      if (eof) return
      buf.copyWithin(0, start, end)
      end -= start
      start = 0
      const want = Math.min(buf.byteLength - end, to - readAt)
      const { bytesRead } = want <= 0 ? { bytesRead: 0 } : await fh.read(buf, end, want, readAt)
      if (bytesRead === 0) eof = true
      end += bytesRead
      readAt += bytesRead
    }
  } finally {
    await fh.close()
  }
}

/** Chunks an in-memory buffer (small payloads, tests). */
export function chunkBuffer (data: Uint8Array, params: CdcParams): Array<{ offset: number, length: number }> {
  const chunker = createChunker(params)
  const out: Array<{ offset: number, length: number }> = []
  for (let start = 0; start < data.byteLength;) {
    const length = chunker.cut(data, start, data.byteLength)
    out.push({ offset: start, length })
    start += length
  }
  return out
}
