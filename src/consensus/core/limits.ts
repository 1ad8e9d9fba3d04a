// Hard limits that bound what a stranger can make a node allocate. Decoders and the mempool enforce them.

/** Largest accepted transaction (bytes). Clients get a clear refusal above it. */
export const MAX_TX_BYTES = 64 * 1024
/** Most transactions one batch may carry. */
export const MAX_BATCH_TXS = 8192
/** Largest encoded consensus message; a new-view carrying prepared certificates is the biggest. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024
/** Largest consensus WAL record storage accepts (state/limits.ts re-exports it). Every record a protocol
 *  writes because of a message it accepted must fit, or a peer could halt the node. */
export const MAX_WAL_RECORD_BYTES = 16 * 1024 * 1024
/** Room a record needs around the one batch it may carry: version, seq, tags, view and sequence numbers,
 *  a signature, a header with its digests and votes. */
export const RECORD_OVERHEAD_BYTES = 256 * 1024
/** Largest encoded transaction list of one batch (see core/batch.ts batchBytes): proposers seal below it
 *  and receivers refuse a batch or proposal above it, so its record fits MAX_WAL_RECORD_BYTES. */
export const MAX_BATCH_BYTES = MAX_WAL_RECORD_BYTES - RECORD_OVERHEAD_BYTES
/** Longest string field (protocol, type, validator id). */
export const MAX_STRING_BYTES = 256
/** Most elements in any encoded list. */
export const MAX_LIST_ITEMS = 65536
/** Deepest nesting of signed messages inside signed messages (new-view > view-change > prepare). */
export const MAX_NESTING = 4
/** Default mempool bounds. */
export const DEFAULT_MEMPOOL_MAX_TXS = 100_000
export const DEFAULT_MEMPOOL_MAX_BYTES = 256 * 1024 * 1024
