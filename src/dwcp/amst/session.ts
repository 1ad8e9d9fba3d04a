// The receiving side of one transfer: a partial file and its journal in the receive directory, named by a
// key of (sender, name, size, hash) so a new attempt of the same transfer finds them and resumes.
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { decodePayload } from '../codecs/decode.ts'
import { applyDelta } from '../hde/delta.ts'
import type { FrameOf } from '../wire/frames.ts'
import type { WireLimits } from '../wire/limits.ts'
import { fail, ok } from '../result.ts'
import type { Result } from '../result.ts'
import { Bitmap } from './bitmap.ts'
import { chunkCountOf, chunkLengthOf, hashFile } from './file-hash.ts'
import { ChunkJournal, readJournal } from './journal.ts'
import type { OfferDescription } from './journal.ts'
import { INTERNAL_PREFIX, pathInside } from './names.ts'

export function sessionKey (from: string, offer: OfferDescription): string {
  const h = createHash('sha256').update(JSON.stringify([from, offer.name, offer.size, Buffer.from(offer.fileHash).toString('hex')]))
  if (offer.delta !== null) h.update(JSON.stringify([offer.delta.baseName, offer.delta.targetSize, Buffer.from(offer.delta.targetHash).toString('hex')]))
  return h.digest('hex').slice(0, 32)
}

function sameOffer (a: OfferDescription, b: OfferDescription): boolean {
  const eq = (x: Uint8Array, y: Uint8Array): boolean => Buffer.from(x).equals(y)
  return a.name === b.name && a.size === b.size && eq(a.fileHash, b.fileHash) &&
    (a.delta === null ? b.delta === null : b.delta !== null && a.delta.baseName === b.delta.baseName && a.delta.targetSize === b.delta.targetSize && eq(a.delta.targetHash, b.delta.targetHash))
}

// O_NOFOLLOW: a planted symlink at a partial file's path must not redirect our writes.
const OPEN_FRESH = constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW
const OPEN_RESUME = constants.O_RDWR | constants.O_NOFOLLOW

export type ChunkVerdict = { ack: true } | { ack: false, reason: string, fatal: boolean }

export class ReceiveSession {
  readonly key: string
  readonly offer: OfferDescription
  readonly chunkSize: number
  readonly chunks: number
  readonly verified: Bitmap
  readonly resumedChunks: number
  private readonly dir: string
  private readonly data: FileHandle
  private readonly journal: ChunkJournal
  private nacks = 0
  private closed = false

  private constructor (init: { key: string, dir: string, offer: OfferDescription, chunkSize: number, verified: Bitmap, data: FileHandle, journal: ChunkJournal }) {
    this.key = init.key
    this.dir = init.dir
    this.offer = init.offer
    this.chunkSize = init.chunkSize
    this.chunks = init.verified.size
    this.verified = init.verified
    this.resumedChunks = init.verified.count
    this.data = init.data
    this.journal = init.journal
  }

  get partPath (): string {
    return join(this.dir, `${INTERNAL_PREFIX}${this.key}.part`)
  }

  static paths (dir: string, key: string): { part: string, journal: string, target: string } {
    const base = join(dir, `${INTERNAL_PREFIX}${key}`)
    return { part: `${base}.part`, journal: `${base}.journal`, target: `${base}.target` }
  }

  /** Resumes from a journal that describes the same offer, or starts afresh with the offered chunk size. */
  static async open (dir: string, key: string, offer: OfferDescription, limits: WireLimits, durable: boolean): Promise<ReceiveSession> {
    const paths = ReceiveSession.paths(dir, key)
    const previous = await readJournal(paths.journal, limits)
    if (previous.ok && sameOffer(previous.value.offer, offer)) {
      const chunkSize = previous.value.offer.chunkSize
      const count = chunkCountOf(offer.size, chunkSize)
      if (previous.value.indices.every((i) => i < count)) {
        const data = await open(paths.part, OPEN_RESUME).catch(() => null)
        if (data !== null) {
          const verified = new Bitmap(count)
          for (const i of previous.value.indices) verified.set(i)
          const journal = await ChunkJournal.open(paths.journal, previous.value.offer, data, { fresh: false, durable })
          return new ReceiveSession({ key, dir, offer, chunkSize, verified, data, journal })
        }
      }
    }
    const data = await open(paths.part, OPEN_FRESH, 0o600)
    const journal = await ChunkJournal.open(paths.journal, offer, data, { fresh: true, durable })
    return new ReceiveSession({ key, dir, offer, chunkSize: offer.chunkSize, verified: new Bitmap(chunkCountOf(offer.size, offer.chunkSize)), data, journal })
  }

  /** Verifies a chunk and makes it durable; a bad hash is a nack, a wrong index or length a protocol
   * violation; too many nacks end the transfer. */
  async receive (f: FrameOf<'chunk'>, maxNacks: number): Promise<ChunkVerdict> {
    if (this.closed) return { ack: false, reason: 'transfer closed', fatal: true }
    if (f.index >= this.chunks) return { ack: false, reason: `chunk index ${f.index} beyond ${this.chunks} chunks`, fatal: true }
    const expected = chunkLengthOf(f.index, this.offer.size, this.chunkSize)
    if (f.rawLength !== expected) return { ack: false, reason: `chunk ${f.index} declares ${f.rawLength} bytes, expected ${expected}`, fatal: true }
    if (this.verified.has(f.index)) return { ack: true }
    const raw = await decodePayload(f.codec, f.payload, f.rawLength, f.hash)
    if (!raw.ok) {
      this.nacks++
      return { ack: false, reason: raw.error, fatal: this.nacks > maxNacks }
    }
    await this.data.write(raw.value, 0, raw.value.byteLength, f.index * this.chunkSize)
    await this.journal.record(f.index)
    this.verified.set(f.index)
    return { ack: true }
  }

  /** Checks the whole file, rebuilds a delta, and renames the result into place. */
  async finish (chunkTable?: Parameters<typeof applyDelta>[4]): Promise<Result<Uint8Array>> {
    if (!this.verified.full) return fail(`${this.chunks - this.verified.count} chunks missing`)
    const paths = ReceiveSession.paths(this.dir, this.key)
    const target = pathInside(this.dir, this.offer.name)
    if (!target.ok) return target
    await this.data.truncate(this.offer.size)
    await this.data.sync()
    const hash = await hashFile(paths.part)
    if (!hash.equals(this.offer.fileHash)) {
      await this.discard()
      return fail('file hash mismatch')
    }
    let finalPath = paths.part
    let finalHash: Uint8Array = hash
    if (this.offer.delta !== null) {
      const base = pathInside(this.dir, this.offer.delta.baseName)
      if (!base.ok) return base
      const rebuilt = await applyDelta(base.value, paths.part, paths.target, { size: this.offer.delta.targetSize, hash: this.offer.delta.targetHash }, chunkTable)
      if (!rebuilt.ok) {
        await this.discard()
        await rm(paths.target, { force: true })
        return fail(`delta: ${rebuilt.error}`)
      }
      finalPath = paths.target
      finalHash = rebuilt.value.targetHash
    }
    await rename(finalPath, target.value)
    await this.syncDir()
    await this.discard()
    return ok(finalHash)
  }

  private async syncDir (): Promise<void> {
    const d = await open(this.dir, 'r')
    try {
      await d.sync()
    } finally {
      await d.close()
    }
  }

  /** Releases the files but keeps them for a later resume. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.allSettled([this.journal.close(), this.data.close()])
  }

  async discard (): Promise<void> {
    await this.close()
    const paths = ReceiveSession.paths(this.dir, this.key)
    await Promise.all([rm(paths.part, { force: true }), rm(paths.journal, { force: true })])
  }
}
