// A libp2p stream as a stream of whole frames with backpressure both ways: write() resolves once the
// stream takes more (its 'drain' event), and reading pauses the remote (yamux stops granting window)
// while more than a high-water mark of decoded frames waits for the consumer. DWCP runs on this.
import type { Stream } from '@libp2p/interface'
import { FRAME_HEADER_BYTES, FrameDecoder } from './framing.ts'
import { writeAll } from './request.ts'

export interface FrameStream {
  write: (frame: Uint8Array) => Promise<void>
  frames: () => AsyncIterable<Uint8Array>
  close: () => Promise<void>
  abort: (err: Error) => void
}

export interface FrameStreamOptions {
  maxFrameBytes: number
  /** Decoded bytes waiting for the reader before the remote is paused. */
  highWaterBytes?: number
}

export function toFrameStream (stream: Stream, { maxFrameBytes, highWaterBytes = 8 * 1024 * 1024 }: FrameStreamOptions): FrameStream {
  // Frames in flight when we pause must fit the stream's paused-read buffer, or it resets.
  stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, 2 * (maxFrameBytes + FRAME_HEADER_BYTES))
  const decoder = new FrameDecoder(maxFrameBytes)
  const queue: Uint8Array[] = []
  let queuedBytes = 0
  let ended = false
  let failure: Error | null = null
  let wake: (() => void) | null = null
  const notify = (): void => { const w = wake; wake = null; w?.() }

  stream.addEventListener('message', evt => {
    try {
      for (const frame of decoder.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray())) {
        queue.push(frame)
        queuedBytes += frame.byteLength
      }
    } catch (err) {
      failure = err as Error
      stream.abort(failure)
    }
    if (queuedBytes > highWaterBytes && stream.readStatus === 'readable') stream.pause()
    notify()
  })
  stream.addEventListener('remoteCloseWrite', () => { ended = true; notify() })
  stream.addEventListener('close', evt => {
    ended = true
    if (evt.error != null && failure == null) failure = evt.error
    notify()
  })

  return {
    write: async frame => {
      const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
      header.writeUInt32BE(frame.byteLength)
      stream.send(header)
      await writeAll(stream, frame)
    },
    frames: async function * () {
      for (;;) {
        if (queue.length > 0) {
          const frame = queue.shift() as Uint8Array
          queuedBytes -= frame.byteLength
          if (queuedBytes <= highWaterBytes / 2 && stream.readStatus === 'paused') stream.resume()
          yield frame
          continue
        }
        if (failure != null) throw failure
        if (ended) return
        await new Promise<void>(resolve => { wake = resolve })
      }
    },
    close: async () => { await stream.close() },
    abort: err => stream.abort(err)
  }
}
