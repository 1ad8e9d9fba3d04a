import type { CodecName } from '../wire/frames.ts'

/** `transfer send --json` (CLI.md): fields may be added, never renamed. */
export interface TransferSummary {
  id: string
  file: string
  to: string
  /** Size of the file delivered. */
  rawBytes: number
  /** Every byte the sender wrote for this transfer: frames, headers, control and resends. */
  sentBytes: number
  /** sentBytes / rawBytes: the share of a plain copy that crossed the wire (1 for an empty file). */
  ratio: number
  /** Chunks sent per codec, resends included. */
  codecMix: Partial<Record<CodecName, number>>
  seconds: number
  /** rawBytes per second delivered, in MB (10^6 bytes). */
  MBps: number
  streams: number
  chunkSize: number
  chunks: number
  /** Chunks the receiver already had verified from an interrupted attempt. */
  resumedChunks: number
  /** Chunks sent again after a nack. */
  resentChunks: number
  /** Most chunks the sender may hold in flight: its memory bound is window × chunkSize. */
  window: number
  /** Most chunks that were in flight at once (never above window). */
  peakInFlight: number
  /** Present for a delta transfer: what the delta consisted of. */
  delta?: DeltaSummary
}

export interface DeltaSummary {
  baseName: string
  /** Bytes of the new version found in the receiver's old one. */
  copiedBytes: number
  /** Bytes of the new version sent as literals. */
  literalBytes: number
  /** Size of the encoded delta that was transferred. */
  deltaBytes: number
  /** Bytes the receiver sent back for its signature. */
  signatureBytes: number
}

export interface TransferProgress {
  id: string
  /** Bytes of the payload verified by the receiver (already-present ones included). */
  doneBytes: number
  totalBytes: number
  sentBytes: number
  chunksDone: number
  chunks: number
  elapsedS: number
  MBps: number
  /** Estimated seconds left, null until a rate is known. */
  etaS: number | null
}

export class TransferError extends Error {
  /** True when the peer refused the offer (bad name, too large, busy): retrying the same will not help. */
  readonly rejected: boolean
  constructor (message: string, rejected = false) {
    super(message)
    this.name = 'TransferError'
    this.rejected = rejected
  }
}
