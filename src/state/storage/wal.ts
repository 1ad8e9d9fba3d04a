// The consensus WAL: what this node prepared, committed and signed, appended (fsynced) before any message
// that depends on it leaves the node, and read back whole on restart. Records are opaque to storage.
import type { Db } from './db.ts'
import { MAX_WAL_RECORD_BYTES } from '../limits.ts'

/** `seq`: the log position the record belongs to (0: not tied to one, never pruned by position). */
export interface WalRecordInput {
  seq: number
  bytes: Uint8Array
}

export interface WalRecord extends WalRecordInput {
  /** monotonic, never reused, even after pruning */
  id: number
}

export class ConsensusWal {
  private readonly db: Db

  constructor (db: Db) {
    this.db = db
  }

  /**
   * Appends the records in order and, in the same fsynced transaction, drops records tied to positions
   * 0 < seq < pruneBelow (what a stable checkpoint made unnecessary). Returns the new ids.
   */
  append (records: readonly WalRecordInput[], pruneBelow?: number): number[] {
    for (const r of records) {
      if (!Number.isSafeInteger(r.seq) || r.seq < 0) throw new RangeError(`WAL record seq must be a non-negative integer, got ${r.seq}`)
      if (!(r.bytes instanceof Uint8Array) || r.bytes.length > MAX_WAL_RECORD_BYTES) throw new RangeError(`WAL record must be bytes of at most ${MAX_WAL_RECORD_BYTES}`)
    }
    return this.db.write('append to the consensus WAL', () => {
      const ins = this.db.sql.prepare('INSERT INTO wal (seq, bytes) VALUES (?, ?)')
      const ids = records.map((r) => Number(ins.run(r.seq, r.bytes).lastInsertRowid))
      if (pruneBelow !== undefined) this.db.sql.prepare('DELETE FROM wal WHERE seq > 0 AND seq < ?').run(pruneBelow)
      return ids
    })
  }

  /** Every record still held, in append order. */
  readAll (): WalRecord[] {
    return (this.db.sql.prepare('SELECT id, seq, bytes FROM wal ORDER BY id').all() as Array<{ id: number, seq: number, bytes: Uint8Array }>)
      .map((r) => ({ id: Number(r.id), seq: Number(r.seq), bytes: r.bytes }))
  }

  /** Drops records with id < belowId (e.g. below a stable checkpoint); returns how many. */
  prune (belowId: number): number {
    return this.db.write('prune the consensus WAL', () => Number(this.db.sql.prepare('DELETE FROM wal WHERE id < ?').run(belowId).changes))
  }
}
