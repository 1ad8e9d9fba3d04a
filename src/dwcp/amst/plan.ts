// Streams and chunk size from the link's bandwidth-delay product (BDP). One stream moves at most its
// flow-control window per round trip, so filling a link needs about BDP / window streams; chunks a
// fraction of the BDP keep several in flight per stream without making a resend expensive.
import type { LinkInfo } from '../codecs/select.ts'
import { MiB } from '../wire/limits.ts'

export interface TransferPlan {
  streams: number
  chunkSize: number
  /** Chunks in flight across all streams: the sender's memory bound is window × chunkSize. */
  window: number
}

/** Receive window of one multiplexed stream (yamux's default), the per-stream limit per round trip. */
export const STREAM_WINDOW_BYTES = 256 * 1024
export const MIN_STREAMS = 4
export const MAX_STREAMS = 16
export const MIN_CHUNK = 256 * 1024
export const MAX_CHUNK = 4 * MiB
/** Bytes the sender keeps in flight at most, whatever the link. */
export const MAX_WINDOW_BYTES = 64 * MiB
/** Used until a link has been measured. */
export const DEFAULT_LINK: LinkInfo = { bandwidthMbps: 1000, rttMs: 1 }

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v))
const pow2Ceil = (v: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, v)))

export function bdpBytes (link: LinkInfo): number {
  return (link.bandwidthMbps * 1e6 / 8) * (link.rttMs / 1000)
}

export function planTransfer (link: LinkInfo, overrides: { streams?: number, chunkSize?: number } = {}): TransferPlan {
  const bdp = bdpBytes(link)
  const streams = overrides.streams ?? clamp(Math.ceil((2 * bdp) / STREAM_WINDOW_BYTES), MIN_STREAMS, MAX_STREAMS)
  const chunkSize = overrides.chunkSize ?? clamp(pow2Ceil(bdp / 4), MIN_CHUNK, MAX_CHUNK)
  const wanted = Math.ceil((2 * bdp) / chunkSize) + 2 * streams
  const window = Math.max(streams, Math.min(wanted, Math.floor(MAX_WINDOW_BYTES / chunkSize)))
  return { streams, chunkSize, window }
}
