// The only thing DWCP needs from a transport. src/net binds it to libp2p streams (length-prefixed frames);
// the in-memory implementation in memory.ts serves the tests.

export interface FrameStream {
  /** Sends one whole frame. Resolves when the transport accepts more (after 'drain'), so awaiting it is
   * the flow control; rejects once the stream is closed or aborted. */
  write (frame: Uint8Array): Promise<void>
  /** The peer's frames in order; ends when the peer closes, throws when the stream is aborted. Iterate once. */
  frames (): AsyncIterable<Uint8Array>
  /** Half-closes the write side after frames already written. */
  close (): Promise<void>
  /** Tears the stream down in both directions. */
  abort (err: Error): void
}

export interface StreamDialer {
  /** Opens `n` new streams to `peer` on the DWCP protocol; rejects if the peer is unreachable. */
  openStreams (peer: string, n: number): Promise<FrameStream[]>
}

/** Called by the transport for each inbound DWCP stream. */
export type StreamHandler = (stream: FrameStream, from: string) => void
