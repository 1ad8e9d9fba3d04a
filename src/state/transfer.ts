// State transfer as a snapshot plus the committed log after it: a node serving a peer that fell behind a
// certified checkpoint H sends its latest kept snapshot at some S <= H (or the empty state at 0, while its
// log still starts at 1) and the batches S+1..H from its log. The receiver replays those batches on the
// snapshot with its own state machine and installs the result only if the root at H is the certified one.
//
// Why: a snapshot then need not exist at every checkpoint. Materialising the whole state at each one was
// O(state) on the apply path (seconds at a few hundred thousand keys) and, past MAX_SNAPSHOT_BYTES, threw
// inside execute and halted every node at the same height. Now snapshots are taken rarely, in the
// background, and checkpoints stay a root and a proof. The snapshot's own root is not certified; the
// replayed root at H is, and the replay is deterministic, so a Byzantine server can make the install fail
// but never make it succeed with a state other than the certified one.
//
// Layout: "NCXFER" | u8 TRANSFER_VERSION | u32 len, snapshot bytes (snapshot.ts) | u32 batch count |
//         count x (u64 height | 32 B batch id | u32 tx count | tx count x (u32 len, tx bytes)).
// A bare snapshot ("NCSNAP", what earlier releases answer) is read as one with no batches.
import { decodeWith, DecodeError, equalBytes, toHex, Writer } from './bytes.ts'
import type { Result } from './bytes.ts'
import { MAX_SNAPSHOT_BYTES, MAX_TX_BYTES } from './limits.ts'
import { MemoryBackend } from './memory.ts'
import { StateMachine } from './machine.ts'
import type { StateMachineOptions } from './machine.ts'
import { decodeSnapshot, SnapshotError } from './snapshot.ts'
import type { Head, StateBackend } from './backend.ts'

export const TRANSFER_VERSION = 1
const MAGIC = Buffer.from('NCXFER')
const SNAPSHOT_MAGIC = Buffer.from('NCSNAP')

export interface TransferBatch {
  height: number
  batchId: Uint8Array
  txs: Uint8Array[]
}

export interface DecodedTransfer {
  snapshot: Uint8Array
  batches: TransferBatch[]
}

export function encodeTransfer (snapshot: Uint8Array, batches: readonly TransferBatch[]): Uint8Array {
  let n = MAGIC.length + 1 + 4 + snapshot.length + 4
  for (const b of batches) { n += 8 + 32 + 4; for (const tx of b.txs) n += 4 + tx.length }
  if (n > MAX_SNAPSHOT_BYTES) throw new SnapshotError(`state transfer is ${n} bytes, limit ${MAX_SNAPSHOT_BYTES}`)
  const w = new Writer(n).raw(MAGIC).u8(TRANSFER_VERSION).bytes32(snapshot).u32(batches.length)
  for (const b of batches) {
    w.u64(b.height).raw(b.batchId).u32(b.txs.length)
    for (const tx of b.txs) w.bytes32(tx)
  }
  return w.finish()
}

/** Parses a transfer from a peer (the layout only; installTransfer checks the content). Never throws. */
export function decodeTransfer (bytes: Uint8Array): Result<DecodedTransfer> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: 'state transfer must be bytes' }
  if (bytes.length > MAX_SNAPSHOT_BYTES) return { ok: false, error: `state transfer is ${bytes.length} bytes, limit ${MAX_SNAPSHOT_BYTES}` }
  if (bytes.length >= SNAPSHOT_MAGIC.length && equalBytes(bytes.subarray(0, SNAPSHOT_MAGIC.length), SNAPSHOT_MAGIC)) return { ok: true, value: { snapshot: bytes, batches: [] } }
  return decodeWith(bytes, (r) => {
    if (!equalBytes(r.raw(MAGIC.length, 'magic'), MAGIC)) throw new DecodeError('not a novacron state transfer')
    const version = r.u8('version')
    if (version !== TRANSFER_VERSION) throw new DecodeError(`unsupported state transfer version ${version} (this release reads ${TRANSFER_VERSION})`)
    const snapshot = r.bytes(32, MAX_SNAPSHOT_BYTES, 'snapshot')
    const count = r.u32('batch count')
    // the smallest batch: height, id, an empty tx list
    if (count > r.remaining / (8 + 32 + 4)) throw new DecodeError(`batch count ${count} exceeds what ${r.remaining} bytes can hold`)
    const batches: TransferBatch[] = []
    for (let i = 0; i < count; i++) {
      const height = r.u64('height')
      const batchId = r.raw(32, 'batch id').slice()
      const n = r.u32('tx count')
      if (n > r.remaining / 4) throw new DecodeError(`tx count ${n} exceeds what ${r.remaining} bytes can hold`)
      const txs: Uint8Array[] = []
      for (let j = 0; j < n; j++) txs.push(r.bytes(32, MAX_TX_BYTES, 'tx').slice())
      batches.push({ height, batchId, txs })
    }
    r.end('state transfer')
    return { snapshot, batches }
  })
}

export interface TransferExpectation {
  /** the certified checkpoint: the transfer must end at exactly this height, with this root */
  height: number
  stateRoot: Uint8Array
}

export interface InstalledTransfer {
  height: number
  stateRoot: Uint8Array
  snapshotHeight: number
  batches: number
  entries: number
}

/**
 * Verifies a transfer against the certified checkpoint and replaces `backend`'s state with the result,
 * all-or-nothing. The snapshot must hash to the root it claims (decodeSnapshot), the batches must follow
 * it height by height up to `expected.height`, and replaying them with a state machine configured like
 * the node's (`machine`: same replay window, liveness and transaction auth) must reach `expected.stateRoot`.
 * Throws SnapshotError, with nothing changed, otherwise.
 */
export function installTransfer (backend: StateBackend, bytes: Uint8Array, expected: TransferExpectation, machine: StateMachineOptions = {}): InstalledTransfer {
  const t = decodeTransfer(bytes)
  if (!t.ok) throw new SnapshotError(`state transfer refused: ${t.error}`)
  const snap = decodeSnapshot(t.value.snapshot)
  if (!snap.ok) throw new SnapshotError(`state transfer refused: ${snap.error}`)
  const base = snap.value.head
  const { batches } = t.value
  if (base.height + batches.length !== expected.height) {
    throw new SnapshotError(`state transfer refused: a snapshot at ${base.height} and ${batches.length} batches do not reach height ${expected.height}`)
  }
  const current = backend.head().height
  if (expected.height <= current) throw new SnapshotError(`state transfer refused: height ${expected.height} is not ahead of applied height ${current}`)
  const staged = new MemoryBackend()
  staged.replaceState(base, snap.value.entries)
  const sm = new StateMachine(staged, machine)
  for (const [i, b] of batches.entries()) {
    if (b.height !== base.height + i + 1) throw new SnapshotError(`state transfer refused: batch ${i} is at height ${b.height}, expected ${base.height + i + 1}`)
    sm.applyBatch({ height: b.height, txs: b.txs, batchId: b.batchId, committedAt: 0 })
  }
  const head: Head = staged.head()
  if (!equalBytes(head.stateRoot, expected.stateRoot)) {
    throw new SnapshotError(`state transfer refused: replaying to height ${head.height} gives root ${toHex(head.stateRoot)}, the certified root is ${toHex(expected.stateRoot)}`)
  }
  const entries = [...staged.entries()]
  backend.replaceState(head, entries)
  return { height: head.height, stateRoot: head.stateRoot, snapshotHeight: base.height, batches: batches.length, entries: entries.length }
}
