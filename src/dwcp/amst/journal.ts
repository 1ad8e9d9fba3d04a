// Sidecar journal of verified chunks, so a receiver that stops mid-transfer resumes from what it already
// has. Layout: magic "NCJ1", u32 offer length, the offer frame (with a zero id) that describes the
// transfer, then one u32 chunk index per verified chunk. A chunk is journalled only after its data is
// on disk, and acked only after the journal is, in group commits so many chunks share one fsync.
import { open, readFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { decodeFrame, encodeFrame } from '../wire/frames.ts'
import type { FrameOf } from '../wire/frames.ts'
import type { WireLimits } from '../wire/limits.ts'
import { fail, ok } from '../result.ts'
import type { Result } from '../result.ts'

const MAGIC = Buffer.from('NCJ1')
const ZERO_ID = '0'.repeat(32)

export type OfferDescription = Omit<FrameOf<'offer'>, 'id' | 'type'>

export interface JournalContents {
  offer: OfferDescription
  indices: number[]
}

export async function readJournal (path: string, limits: WireLimits): Promise<Result<JournalContents>> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch {
    return fail('no journal')
  }
  if (bytes.byteLength < 8 || !bytes.subarray(0, 4).equals(MAGIC)) return fail('not a journal')
  const offerLength = bytes.readUInt32BE(4)
  if (8 + offerLength > bytes.byteLength) return fail('truncated journal header')
  const decoded = decodeFrame(bytes.subarray(8, 8 + offerLength), limits)
  if (!decoded.ok) return fail(`bad journal header: ${decoded.error}`)
  if (decoded.value.type !== 'offer') return fail('journal header is not an offer')
  const { type: _t, id: _i, ...offer } = decoded.value
  const indices: number[] = []
  // A crash can tear the last record; whole records before it are intact.
  for (let p = 8 + offerLength; p + 4 <= bytes.byteLength; p += 4) indices.push(bytes.readUInt32BE(p))
  return ok({ offer, indices })
}

export class ChunkJournal {
  private readonly fh: FileHandle
  private readonly data: FileHandle
  private readonly durable: boolean
  private pending: Array<{ index: number, resolve: () => void, reject: (e: unknown) => void }> = []
  private flushing = false

  private constructor (fh: FileHandle, data: FileHandle, durable: boolean) {
    this.fh = fh
    this.data = data
    this.durable = durable
  }

  /** Opens an existing journal for appending, or starts a new one describing `offer`. */
  static async open (path: string, offer: OfferDescription, data: FileHandle, opts: { fresh: boolean, durable: boolean }): Promise<ChunkJournal> {
    const fh = await open(path, opts.fresh ? 'w' : 'a')
    if (opts.fresh) {
      const header = encodeFrame({ type: 'offer', id: ZERO_ID, ...offer })
      const len = Buffer.alloc(4)
      len.writeUInt32BE(header.byteLength)
      await fh.write(Buffer.concat([MAGIC, len, header]))
      if (opts.durable) await fh.sync()
    }
    return new ChunkJournal(fh, data, opts.durable)
  }

  /** Resolves once chunk `index` is durably recorded (its data synced first). */
  async record (index: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ index, resolve, reject })
      if (!this.flushing) void this.flush()
    })
  }

  private async flush (): Promise<void> {
    this.flushing = true
    while (this.pending.length > 0) {
      const batch = this.pending
      this.pending = []
      try {
        if (this.durable) await this.data.datasync()
        const records = Buffer.alloc(batch.length * 4)
        batch.forEach((b, i) => records.writeUInt32BE(b.index, i * 4))
        await this.fh.write(records)
        if (this.durable) await this.fh.datasync()
        for (const b of batch) b.resolve()
      } catch (e) {
        for (const b of batch) b.reject(e)
      }
    }
    this.flushing = false
  }

  async close (): Promise<void> {
    while (this.flushing) await new Promise((resolve) => setImmediate(resolve))
    await this.fh.close()
  }
}
