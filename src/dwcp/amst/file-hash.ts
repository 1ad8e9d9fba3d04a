import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** sha256 of a file, streamed so memory stays flat whatever its size. */
export async function hashFile (path: string): Promise<Buffer> {
  const h = createHash('sha256')
  for await (const block of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(block as Buffer)
  return h.digest()
}

export function chunkCountOf (size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize)
}

/** Raw length of chunk `index`: every chunk is full but the last. */
export function chunkLengthOf (index: number, size: number, chunkSize: number): number {
  return Math.min(chunkSize, size - index * chunkSize)
}
