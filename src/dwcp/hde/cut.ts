// Cutting a file into content-defined chunks and naming each by its digest: the work behind both a
// signature (receiver) and a manifest (sender). Files larger than one segment are cut segment by
// segment on worker threads while the main thread hashes the whole file.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { SEGMENT_BYTES, chunkFile } from './fastcdc.ts'
import type { CdcParams } from './fastcdc.ts'
import { chunkDigest } from './digest.ts'

export interface Cut {
  /** Chunk lengths in file order. */
  lengths: Uint32Array
  /** count × SIGNATURE_HASH_BYTES digests. */
  digests: Buffer
}

/** Cuts bytes [from, to) of a file: what one worker does with one segment. */
export async function cutRange (path: string, params: CdcParams, from: number, to: number): Promise<Cut> {
  const lengths: number[] = []
  const digests: Buffer[] = []
  for await (const c of chunkFile(path, params, from, to)) {
    lengths.push(c.data.byteLength)
    digests.push(chunkDigest(c.data))
  }
  return { lengths: Uint32Array.from(lengths), digests: Buffer.concat(digests) }
}

async function hashWhole (path: string): Promise<Buffer> {
  const h = createHash('sha256')
  for await (const block of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(block as Buffer)
  return h.digest()
}

function concat (cuts: Cut[]): Cut {
  const n = cuts.reduce((s, c) => s + c.lengths.length, 0)
  const lengths = new Uint32Array(n)
  let at = 0
  for (const c of cuts) {
    lengths.set(c.lengths, at)
    at += c.lengths.length
  }
  return { lengths, digests: Buffer.concat(cuts.map((c) => c.digests)) }
}

/** Cuts segments on a few workers, each taking the next segment as it finishes one. */
async function cutOnWorkers (path: string, params: CdcParams, size: number, workers: number): Promise<Cut> {
  const segments = Math.ceil(size / SEGMENT_BYTES)
  const results: Cut[] = new Array(segments)
  let next = 0
  const run = async (): Promise<void> => {
    const w = new Worker(new URL('./cut-worker.ts', import.meta.url))
    try {
      while (next < segments) {
        const i = next++
        const from = i * SEGMENT_BYTES
        results[i] = await new Promise<Cut>((resolve, reject) => {
          w.once('message', (m: { lengths: Uint32Array, digests: Uint8Array } | { error: string }) => {
            if ('error' in m) reject(new Error(m.error))
            else resolve({ lengths: m.lengths, digests: Buffer.from(m.digests.buffer, m.digests.byteOffset, m.digests.byteLength) })
          })
          w.once('error', reject)
          w.postMessage({ path, params, from, to: Math.min(size, from + SEGMENT_BYTES) })
        })
      }
    } finally {
      await w.terminate()
    }
  }
  await Promise.all(Array.from({ length: Math.min(workers, segments) }, run))
  return concat(results)
}

export interface CutOptions {
  /** Also return the sha256 of the whole file (computed alongside). */
  wholeHash?: boolean
  /** Worker threads for files over one segment; one less than the CPUs by default, 0 cuts inline. */
  workers?: number
}

export async function cutFile (path: string, params: CdcParams, opts: CutOptions = {}): Promise<Cut & { size: number, hash: Buffer | null }> {
  const { size } = await stat(path)
  const workers = opts.workers ?? Math.max(1, availableParallelism() - 1)
  const whole = opts.wholeHash === true ? hashWhole(path) : Promise.resolve(null)
  const inline = async (): Promise<Cut> => {
    const segments: Cut[] = []
    for (let from = 0; from < size; from += SEGMENT_BYTES) segments.push(await cutRange(path, params, from, Math.min(size, from + SEGMENT_BYTES)))
    return concat(segments)
  }
  // Where workers cannot start (a bundled executable without the worker module), cut inline.
  const cut = size > SEGMENT_BYTES && workers > 0 ? await cutOnWorkers(path, params, size, workers).catch(inline) : await inline()
  const covered = cut.lengths.reduce((s, l) => s + l, 0)
  if (covered !== size) throw new Error(`${path} changed while it was being cut`)
  return { ...cut, size, hash: await whole }
}
