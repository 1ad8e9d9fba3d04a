// Snapshots for state transfer: the whole state at one height, verifiable against a state root that a
// node learned from consensus (a stable checkpoint), so a snapshot from a Byzantine peer is refused.
//
// Layout: "NCSNAP" | u8 SNAPSHOT_VERSION | u64 height | 32-byte stateRoot | u64 count |
//         count x (u8 table | u16 keyLen, key | u32 valueLen, value), sorted by (table, key bytes).
// The strict order makes the encoding canonical and rules out duplicate entries. The replay window's
// rows (TABLE.replay, see replay.ts) are entries like any other, so the root check covers them.
// Version 2: the state includes the replay rows (a version 1 snapshot has none and is refused).
// Version 3: the hosts table (liveness and placed resources) and version 2 workload records.
import { decodeWith, DecodeError, equalBytes, toHex, Writer } from './bytes.ts'
import type { Result } from './bytes.ts'
import { MAX_KEY_BYTES, MAX_SNAPSHOT_BYTES, MAX_TX_BYTES } from './limits.ts'
import { LtHash } from './lthash.ts'
import { TABLE, TABLE_IDS } from './records.ts'
import type { TableId } from './records.ts'
import type { Head, StateBackend, StateEntry } from './backend.ts'
import { checkReplayRow } from './replay.ts'

export const SNAPSHOT_VERSION = 3
const MAGIC = Buffer.from('NCSNAP')
/** the smallest entry: table byte, two length prefixes, one key byte */
const MIN_ENTRY_BYTES = 1 + 2 + 1 + 4

export interface SnapshotInfo {
  height: number
  stateRoot: Uint8Array
  entries: number
  bytes: number
}

export interface DecodedSnapshot {
  head: Head
  entries: StateEntry[]
}

export class SnapshotError extends Error {
  override name = 'SnapshotError'
  readonly code = 'ERR_SNAPSHOT_INVALID'
}

function compareEntries (a: StateEntry, b: StateEntry): number {
  return a.table !== b.table ? a.table - b.table : Buffer.compare(a.key, b.key)
}

/** Builds a snapshot entry by entry (a background export feeds it a slice of rows per event-loop turn);
 *  refuses to grow past MAX_SNAPSHOT_BYTES rather than building a buffer no peer would accept. */
export class SnapshotEncoder {
  readonly #body = new Writer(64 * 1024)
  count = 0

  add (e: StateEntry): void {
    this.#body.u8(e.table).bytes16(e.key).bytes32(e.value)
    this.count++
    if (this.count % 1024 === 0 && this.#body.view().length > MAX_SNAPSHOT_BYTES) throw new SnapshotError(`snapshot passes ${MAX_SNAPSHOT_BYTES} bytes at ${this.count} entries`)
  }

  finish (head: Head): Uint8Array {
    const bytes = this.#body.finish()
    const out = new Writer(bytes.length + 64).raw(MAGIC).u8(SNAPSHOT_VERSION).u64(head.height).raw(head.stateRoot).u64(this.count).raw(bytes).finish()
    if (out.length > MAX_SNAPSHOT_BYTES) throw new SnapshotError(`snapshot is ${out.length} bytes, limit ${MAX_SNAPSHOT_BYTES}`)
    return out
  }
}

export function encodeSnapshot (head: Head, entries: Iterable<StateEntry>): Uint8Array {
  const enc = new SnapshotEncoder()
  for (const e of entries) enc.add(e)
  return enc.finish(head)
}

/** Parses and verifies a snapshot: the entries must hash to the root it claims. Never throws. */
export function decodeSnapshot (bytes: Uint8Array): Result<DecodedSnapshot> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: 'snapshot must be bytes' }
  if (bytes.length > MAX_SNAPSHOT_BYTES) return { ok: false, error: `snapshot is ${bytes.length} bytes, limit ${MAX_SNAPSHOT_BYTES}` }
  return decodeWith(bytes, (r) => {
    if (!equalBytes(r.raw(MAGIC.length, 'magic'), MAGIC)) throw new DecodeError('not a novacron snapshot')
    const version = r.u8('version')
    if (version !== SNAPSHOT_VERSION) throw new DecodeError(`unsupported snapshot version ${version} (this release reads ${SNAPSHOT_VERSION})`)
    const height = r.u64('height')
    const claimedRoot = r.raw(32, 'state root').slice()
    const count = r.u64('entry count')
    if (count > r.remaining / MIN_ENTRY_BYTES) throw new DecodeError(`entry count ${count} exceeds what ${r.remaining} bytes can hold`)
    const hash = new LtHash()
    const entries: StateEntry[] = []
    let prev: StateEntry | null = null
    for (let i = 0; i < count; i++) {
      const table = r.u8('table') as TableId
      if (!TABLE_IDS.includes(table)) throw new DecodeError(`unknown table ${table}`)
      const key = r.bytes(16, MAX_KEY_BYTES, 'key').slice()
      const value = r.bytes(32, MAX_TX_BYTES, 'value').slice()
      const bad = table === TABLE.replay ? checkReplayRow(key, value) : null
      if (bad !== null) throw new DecodeError(bad)
      const e = { table, key, value }
      if (prev !== null && compareEntries(prev, e) >= 0) throw new DecodeError('entries not in strictly ascending order')
      hash.add(table, key, value)
      entries.push(e)
      prev = e
    }
    r.end('snapshot')
    const stateRoot = hash.root()
    if (!equalBytes(stateRoot, claimedRoot)) throw new DecodeError(`entries hash to ${toHex(stateRoot)}, snapshot claims ${toHex(claimedRoot)}`)
    return { head: { height, stateRoot, vector: hash.bytes() }, entries }
  })
}

export interface SnapshotExpectation {
  /** the height consensus certified; the snapshot must be at exactly this height */
  height?: number
  /** the certified state root at that height */
  stateRoot?: Uint8Array
}

/**
 * Verifies `bytes` and atomically replaces the backend's state with it. Throws SnapshotError (and changes
 * nothing) if it does not parse, does not hash to its root, does not match `expected`, or is not ahead
 * of the backend's height.
 */
export function installSnapshot (backend: StateBackend, bytes: Uint8Array, expected: SnapshotExpectation = {}): SnapshotInfo {
  const snap = decodeSnapshot(bytes)
  if (!snap.ok) throw new SnapshotError(`snapshot refused: ${snap.error}`)
  const { head, entries } = snap.value
  if (expected.height !== undefined && expected.height !== head.height) throw new SnapshotError(`snapshot refused: it is at height ${head.height}, expected ${expected.height}`)
  if (expected.stateRoot !== undefined && !equalBytes(expected.stateRoot, head.stateRoot)) {
    throw new SnapshotError(`snapshot refused: root ${toHex(head.stateRoot)} differs from the certified root ${toHex(expected.stateRoot)}`)
  }
  const current = backend.head().height
  if (head.height <= current) throw new SnapshotError(`snapshot refused: height ${head.height} is not ahead of applied height ${current}`)
  backend.replaceState(head, entries)
  return { height: head.height, stateRoot: head.stateRoot, entries: entries.length, bytes: bytes.length }
}

export function exportSnapshot (backend: StateBackend): Uint8Array {
  return encodeSnapshot(backend.head(), backend.entries())
}
