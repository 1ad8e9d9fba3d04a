// Replay protection as part of the replicated state. Consensus orders batches but does not deduplicate
// across them (a faulty primary may re-propose a committed tx), so the state machine skips a tx id it
// applied within the last `window` heights. Every node must decide alike, including one that joined by
// installing a snapshot, so the remembered ids are state entries, not a node-local cache:
//
//   table TABLE.replay, key = u64 height | u16 chunk, value = the 32-byte ids first applied at that
//   height, in batch order, at most REPLAY_CHUNK_IDS per chunk (chunk c+1 exists only if c is full).
//
// Why this is sound and cheap: the rows are ordinary entries, so the LtHash root covers them exactly as
// it covers kv data (a snapshot that drops, adds or alters an id changes a row's bytes, hence its
// element, hence the root the installer checks against the certified one), they travel in snapshots
// and Storage writes them in the batch's own fsynced transaction. Since an element hashes the whole row,
// the root work is one LtHash add per batch (per 2048 txs) and one subtract when that row expires, not
// one per tx: the element encoding is injective (length-prefixed key, fixed-width ids), and expiry
// subtracts the very bytes that were added, read back from the state, so the vector returns to the
// sum over the rows still in the window. Ids are only looked up in memory (a Map rebuilt from the rows
// whenever the backend's head is not the one this index last saw, e.g. after a restart or a snapshot
// install), so no per-tx database index is written.
import { equalBytes } from './bytes.ts'
import { MAX_TX_BYTES } from './limits.ts'
import { TABLE } from './records.ts'
import type { Head, StateBackend } from './backend.ts'

/**
 * Default replay window in heights: a tx id applied at height h is skipped as a duplicate up to height
 * h + W - 1 and applies again from h + W. A consensus parameter: every node must use the same value for
 * the life of the cluster. Clients that mean to repeat a command use a nonce (a different id).
 */
export const REPLAY_WINDOW = 1024
export const TX_ID_BYTES = 32
/** Ids per row: a full row is exactly MAX_TX_BYTES, the snapshot's value limit. */
export const REPLAY_CHUNK_IDS = MAX_TX_BYTES / TX_ID_BYTES
const CHUNK_BYTES = REPLAY_CHUNK_IDS * TX_ID_BYTES
export const REPLAY_KEY_BYTES = 10

export const DUPLICATE_ERROR = 'duplicate transaction'

export function replayKey (height: number, chunk: number): Uint8Array {
  const key = new Uint8Array(REPLAY_KEY_BYTES)
  const v = new DataView(key.buffer)
  v.setBigUint64(0, BigInt(height))
  v.setUint16(8, chunk)
  return key
}

/** Why a replay row from an untrusted source (a snapshot) is malformed, or null. */
export function checkReplayRow (key: Uint8Array, value: Uint8Array): string | null {
  if (key.length !== REPLAY_KEY_BYTES) return `replay key is ${key.length} bytes, expected ${REPLAY_KEY_BYTES}`
  if (value.length === 0 || value.length % TX_ID_BYTES !== 0 || value.length > CHUNK_BYTES) return `replay row of ${value.length} bytes is not 1..${REPLAY_CHUNK_IDS} tx ids`
  return null
}

/** The rows for the ids first applied at one height. */
export function packReplayRows (ids: readonly Uint8Array[]): Uint8Array[] {
  const rows: Uint8Array[] = []
  for (let at = 0; at < ids.length; at += REPLAY_CHUNK_IDS) rows.push(Buffer.concat(ids.slice(at, at + REPLAY_CHUNK_IDS)))
  return rows
}

/** The rows stored for `height`, through `read` (the backend, or a batch's overlay). */
export function readReplayRows (read: (key: Uint8Array) => Uint8Array | undefined, height: number): Uint8Array[] {
  const rows: Uint8Array[] = []
  for (let chunk = 0; ; chunk++) {
    const row = read(replayKey(height, chunk))
    if (row === undefined) break
    rows.push(row)
    if (row.length < CHUNK_BYTES) break
  }
  return rows
}

/** The Map key of a tx id. latin1 maps each byte to one char: cheap, and injective. */
export function idKey (id: Uint8Array): string {
  // txId returns Buffers; wrapping one again would cost a third of the call
  return (Buffer.isBuffer(id) ? id : Buffer.from(id.buffer, id.byteOffset, id.byteLength)).toString('latin1')
}

function forEachIdKey (row: Uint8Array, fn: (key: string) => void): void {
  const b = Buffer.from(row.buffer, row.byteOffset, row.byteLength)
  for (let o = 0; o < b.length; o += TX_ID_BYTES) fn(b.toString('latin1', o, o + TX_ID_BYTES))
}

export interface Admission {
  /** per tx of the batch */
  duplicate: boolean[]
  /** id keys of the first applications, for `committed` */
  fresh: Set<string>
  /** their ids in batch order, for the batch's rows */
  firstIds: Uint8Array[]
}

/** In-memory lookup over the replay rows of one backend; the rows stay the source of truth. */
export class ReplayIndex {
  readonly window: number
  private readonly heightOf = new Map<string, number>()
  private syncedHeight = -1
  private syncedRoot: Uint8Array = new Uint8Array(0)

  constructor (window: number) {
    if (!Number.isSafeInteger(window) || window < 1) throw new RangeError(`replay window must be a positive integer, got ${window}`)
    this.window = window
  }

  /** The height whose rows applying `height` removes (0: none). */
  expiringAt (height: number): number {
    return Math.max(0, height - this.window)
  }

  /** Rebuilds from the backend's rows unless this index already reflects its head. */
  sync (backend: StateBackend): void {
    const head = backend.head()
    if (head.height === this.syncedHeight && equalBytes(head.stateRoot, this.syncedRoot)) return
    this.heightOf.clear()
    for (let h = Math.max(1, head.height - this.window + 1); h <= head.height; h++) {
      for (const row of readReplayRows((k) => backend.readState(TABLE.replay, k), h)) forEachIdKey(row, (k) => this.heightOf.set(k, h))
    }
    this.mark(head)
  }

  /** Whether a tx with this id key, proposed in the batch at `height`, is a duplicate of an applied one. */
  remembers (key: string, height: number): boolean {
    const at = this.heightOf.get(key)
    return at !== undefined && at > height - this.window
  }

  /** The height at which a tx with this id key was applied, while the window remembers it. */
  appliedAt (key: string): number | undefined {
    return this.heightOf.get(key)
  }

  /**
   * Sorts a batch's ids at `height` into duplicates (remembered, or earlier in the same batch) and first
   * applications, which the batch remembers. Changes nothing until `committed`.
   */
  admit (ids: readonly Uint8Array[], height: number): Admission {
    const fresh = new Set<string>()
    const firstIds: Uint8Array[] = []
    const duplicate = ids.map((id) => {
      const key = idKey(id)
      if (fresh.has(key) || this.remembers(key, height)) return true
      fresh.add(key)
      firstIds.push(id)
      return false
    })
    return { duplicate, fresh, firstIds }
  }

  /** Records a committed batch: its expired rows leave, its first-applied ids enter. */
  committed (head: Head, expired: readonly Uint8Array[], added: Iterable<string>): void {
    for (const row of expired) forEachIdKey(row, (k) => this.heightOf.delete(k))
    for (const k of added) this.heightOf.set(k, head.height)
    this.mark(head)
  }

  private mark (head: Head): void {
    this.syncedHeight = head.height
    this.syncedRoot = head.stateRoot
  }
}
