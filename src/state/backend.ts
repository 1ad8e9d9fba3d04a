// What the state machine needs from whatever stores its state: the SQLite Storage in a node, a
// MemoryBackend in the simulator and tests. Keeping apply logic on this side of the interface means the
// same deterministic code runs in both.
import type { TableId } from './records.ts'

export type TxResult = { ok: true } | { ok: false, error: string }

export interface StateEntry {
  table: TableId
  key: Uint8Array
  value: Uint8Array
}

/** value null deletes the entry */
export interface StateWrite {
  table: TableId
  key: Uint8Array
  value: Uint8Array | null
}

export interface Head {
  /** height of the last applied batch; 0 before the first */
  height: number
  stateRoot: Uint8Array
  /** the LtHash vector behind stateRoot (LTHASH_BYTES) */
  vector: Uint8Array
}

/** One applied batch, everything a backend persists atomically. */
export interface CommittedBatch {
  height: number
  batchId: Uint8Array
  txs: Uint8Array[]
  txIds: Uint8Array[]
  results: TxResult[]
  /** net changes of the batch, at most one per (table, key) */
  writes: StateWrite[]
  vector: Uint8Array
  stateRoot: Uint8Array
  /** wall-clock ms when this node committed it; informational, not part of the root */
  committedAt: number
}

export interface StateBackend {
  head (): Head
  readState (table: TableId, key: Uint8Array): Uint8Array | undefined
  /** Optional bulk read of the entries that exist among `keys` (any order); one call per batch is far
   * cheaper than one readState per key for a database. */
  readMany? (table: TableId, keys: readonly Uint8Array[]): Array<[key: Uint8Array, value: Uint8Array]>
  /** Persists the batch and its writes all-or-nothing; throws (state unchanged) if it cannot. */
  commitBatch (batch: CommittedBatch): void
  /** Every entry, sorted by table then key bytes (the snapshot order). */
  entries (): Iterable<StateEntry>
  /** Replaces the whole state with a verified snapshot's, all-or-nothing. */
  replaceState (head: Head, entries: readonly StateEntry[]): void
}

/** A string naming one (table, key) entry, for Map keys. */
export function entryId (table: TableId, key: Uint8Array): string {
  return String.fromCharCode(table) + Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
}

/** Thrown for misuse of the state API by its caller (e.g. a batch at the wrong height). */
export class StateError extends Error {
  override name = 'StateError'
  readonly code: string
  constructor (message: string, code = 'ERR_STATE') {
    super(message)
    this.code = code
  }
}
