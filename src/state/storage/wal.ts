// The consensus WAL: what this node prepared, committed and signed, appended (fsynced) before any message
// that depends on it leaves the node, and read back whole on restart. Records are opaque to storage.
import type { Db } from './db.ts'
import { MAX_WAL_KIND_BYTES, MAX_WAL_RECORD_BYTES } from '../limits.ts'

export interface WalRecordInput {
  kind: string
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

  /** Appends the records in order in one fsynced transaction and returns their ids. */
  append (records: readonly WalRecordInput[]): number[] {
    for (const r of records) {
      if (typeof r.kind !== 'string' || r.kind.length === 0 || Buffer.byteLength(r.kind) > MAX_WAL_KIND_BYTES) throw new RangeError(`WAL record kind must be 1..${MAX_WAL_KIND_BYTES} bytes`)
      if (!(r.bytes instanceof Uint8Array) || r.bytes.length > MAX_WAL_RECORD_BYTES) throw new RangeError(`WAL record must be bytes of at most ${MAX_WAL_RECORD_BYTES}`)
    }
    return this.db.write('append to the consensus WAL', () => {
      const ins = this.db.sql.prepare('INSERT INTO wal (kind, bytes) VALUES (?, ?)')
      return records.map((r) => Number(ins.run(r.kind, r.bytes).lastInsertRowid))
    })
  }

  /** Every record still held, in append order. */
  readAll (): WalRecord[] {
    return (this.db.sql.prepare('SELECT id, kind, bytes FROM wal ORDER BY id').all() as Array<{ id: number, kind: string, bytes: Uint8Array }>)
      .map((r) => ({ id: Number(r.id), kind: r.kind, bytes: r.bytes }))
  }

  /** Drops records with id < belowId (e.g. below a stable checkpoint); returns how many. */
  prune (belowId: number): number {
    return this.db.write('prune the consensus WAL', () => Number(this.db.sql.prepare('DELETE FROM wal WHERE id < ?').run(belowId).changes))
  }
}
