// Request/response over a fresh libp2p stream per request: one length-prefixed frame each way. Used for
// state transfer (a snapshot can be tens of MiB, so responses are written in slices that wait for 'drain')
// and anything else that asks one peer one question.
import type { Stream } from '@libp2p/interface'
import { FRAME_HEADER_BYTES, FrameDecoder, encodeFrames } from './framing.ts'

const WRITE_SLICE_BYTES = 256 * 1024

export class RequestError extends Error {
  readonly code: 'timeout' | 'refused' | 'too-large' | 'closed' | 'remote'
  constructor (code: RequestError['code'], message: string) {
    super(message)
    this.code = code
  }
}

/** Writes bytes in slices, waiting for 'drain' whenever the stream's buffer is full. */
export async function writeAll (stream: Stream, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength; offset += WRITE_SLICE_BYTES) {
    const ok = stream.send(bytes.subarray(offset, offset + WRITE_SLICE_BYTES))
    if (!ok) await waitForDrain(stream, signal)
  }
}

function waitForDrain (stream: Stream, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => { cleanup(); resolve() }
    const onClose = (): void => { cleanup(); reject(new RequestError('closed', 'stream closed while writing')) }
    const onAbort = (): void => { cleanup(); reject(new RequestError('timeout', 'timed out while writing')) }
    const cleanup = (): void => {
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
    }
    stream.addEventListener('drain', onDrain, { once: true })
    stream.addEventListener('close', onClose, { once: true })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Reads exactly one frame of at most `maxBytes` from the stream. */
export async function readFrame (stream: Stream, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  const decoder = new FrameDecoder(maxBytes)
  const onAbort = (): void => stream.abort(new RequestError('timeout', 'timed out'))
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const chunk of stream) {
      let frames: Uint8Array[]
      try {
        frames = decoder.push(chunk instanceof Uint8Array ? chunk : chunk.subarray())
      } catch (err) {
        throw new RequestError('too-large', (err as Error).message)
      }
      if (frames.length > 0) return frames[0]
    }
  } catch (err) {
    if (err instanceof RequestError) throw err
    if (signal?.aborted === true) throw new RequestError('timeout', 'timed out waiting for the answer')
    throw new RequestError('closed', `stream failed: ${(err as Error).message}`)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  throw new RequestError(decoder.bufferedBytes > 0 ? 'closed' : 'refused', 'stream ended before a whole frame arrived')
}

export async function writeFrame (stream: Stream, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
  if (payload.byteLength <= WRITE_SLICE_BYTES - FRAME_HEADER_BYTES) {
    if (!stream.send(encodeFrames([payload]))) await waitForDrain(stream, signal)
    return
  }
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
  header.writeUInt32BE(payload.byteLength)
  stream.send(header)
  await writeAll(stream, payload, signal)
}
