// Bounds every decoder enforces before it allocates or touches the disk. A receiver may lower them; a
// sender's declared values beyond them are refused.
export interface WireLimits {
  /** Largest raw chunk a receiver accepts; also bounds every decompression. */
  maxChunkSize: number
  /** Smallest chunk size an offer may declare (except for the last chunk), so a tiny chunk size cannot
   * blow up the per-chunk bookkeeping. */
  minChunkSize: number
  /** Largest file a peer may offer. */
  maxFileSize: number
  /** Most chunks a transfer may have (the resume bitmap is maxChunks / 8 bytes). */
  maxChunks: number
  /** UTF-8 bytes of a file name. */
  maxNameBytes: number
  /** Most chunk hashes in a delta signature. */
  maxSignatureEntries: number
}

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB

export const DEFAULT_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxChunkSize: 16 * MiB,
  minChunkSize: 4096,
  maxFileSize: 1024 * GiB,
  maxChunks: 1 << 22,
  maxNameBytes: 255,
  maxSignatureEntries: 1 << 20
})

export const HASH_BYTES = 32
export const SIGNATURE_HASH_BYTES = 16
export const TRANSFER_ID_BYTES = 16

/** Upper bound of one encoded frame: a full chunk plus its header; also bounds the delta signature. */
export function maxFrameBytes (limits: WireLimits): number {
  return Math.max(limits.maxChunkSize, limits.maxSignatureEntries * SIGNATURE_HASH_BYTES, limits.maxChunks / 8) + 4096
}
