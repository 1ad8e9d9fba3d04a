// Limits of the replicated state machine. They are part of the consensus rules: every validator must run
// the same values, so changing one is a protocol change (bump TX_VERSION or the genesis parameters).

/** Largest encoded transaction accepted anywhere (API, mempool, decoder). */
export const MAX_TX_BYTES = 64 * 1024
/** Keys are UTF-8 strings: kv keys, node ids, workload ids. */
export const MAX_KEY_BYTES = 256
/** Largest kv value; leaves room for the key and header inside MAX_TX_BYTES. */
export const MAX_VALUE_BYTES = 60 * 1024
/** Client nonce: lets a user make two otherwise identical transactions distinct (different tx ids). */
export const MAX_NONCE_BYTES = 32
/** Cluster registry records. */
export const MAX_ADDRESSES = 16
export const MAX_ADDRESS_BYTES = 256
export const MAX_LABELS = 32
export const MAX_LABEL_KEY_BYTES = 63
export const MAX_LABEL_VALUE_BYTES = 256
/** Workload names are free text for operators. */
export const MAX_NAME_BYTES = 128
/** Resource quantities are unsigned 32-bit integers (cpu in vCPUs, memory in MiB, disk in GiB). */
export const MAX_RESOURCE = 0xffff_ffff
/** One kv list call returns at most this many entries; callers page with `after`. */
export const MAX_LIST_LIMIT = 10_000
/** Largest snapshot this release exports or installs (state transfer ships it whole). */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024
/** A consensus WAL record (opaque to storage): consensus owns the number, since its batches must fit. */
export { MAX_WAL_RECORD_BYTES } from '../consensus/core/limits.ts'
