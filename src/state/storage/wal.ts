// The consensus WAL: what this node prepared, committed and signed, appended (fsynced) before any message
// that depends on it leaves the node, and read back whole on restart. Records are opaque to storage; a
// record that names a batch by digest brings the batch along, and storage keeps it once in batch_bodies
// (shared with the committed log, refcounted by both in body_refs) while a record or a log row names it.
import type { Db } from './db.ts'
import { MAX_WAL_RECORD_BYTES } from '../limits.ts'
import type { BodyStore } from './bodies.ts'
import { packTxs } from './log-codec.ts'

/** `seq`: the log position the record belongs to (0: not tied to one, never pruned by position).
 *  `body`: the batch the record names by its digest `id`, stored with it in the same transaction. */
export interface WalRecordInput {
  seq: number
  bytes: Uint8Array
  body?: { readonly id: Uint8Array, readonly txs: readonly Uint8Array[] }
}

export interface WalRecord {
  /** monotonic, never reused, even after pruning */
  id: number
  seq: number
  bytes: Uint8Array
  /** the digest of the batch body this record names, when it names one */
  bodyId?: Uint8Array
}

export class ConsensusWal {
  private readonly db: Db
  private readonly bodies: BodyStore

  constructor (db: Db, bodies: BodyStore) {
    this.db = db
    this.bodies = bodies
  }

  /**
   * Appends the records in order, storing each body a record names (once per digest; a further record
   * naming it only counts a reference) and, in the same fsynced transaction, drops records tied to
   * positions 0 < seq < pruneBelow (what a stable checkpoint made unnecessary), releasing the bodies
   * they named. Returns the new ids.
   */
  append (records: readonly WalRecordInput[], pruneBelow?: number): number[] {
    const packed: Array<Uint8Array | undefined> = []
    for (const r of records) {
      if (!Number.isSafeInteger(r.seq) || r.seq < 0) throw new RangeError(`WAL record seq must be a non-negative integer, got ${r.seq}`)
      if (!(r.bytes instanceof Uint8Array) || r.bytes.length > MAX_WAL_RECORD_BYTES) throw new RangeError(`WAL record must be bytes of at most ${MAX_WAL_RECORD_BYTES}`)
      const body = r.body === undefined ? undefined : packTxs(r.body.txs)
      if (body !== undefined && (!(r.body!.id instanceof Uint8Array) || r.body!.id.length !== 32 || body.length > MAX_WAL_RECORD_BYTES)) throw new RangeError(`WAL record body must have a 32-byte id and at most ${MAX_WAL_RECORD_BYTES} bytes (a batch fits a record)`)
      packed.push(body)
    }
    return this.db.write('append to the consensus WAL', () => {
      const ins = this.db.sql.prepare('INSERT INTO wal (seq, bytes, body_id) VALUES (?, ?, ?)')
      const ids = records.map((r, i) => {
        const body = packed[i]
        if (body !== undefined && !this.bodies.ref(r.body!.id, body)) throw new Error('WAL record body has the id of a different stored batch')
        return Number(ins.run(r.seq, r.bytes, r.body?.id ?? null).lastInsertRowid)
      })
      if (pruneBelow !== undefined) this.release(this.db.sql.prepare('DELETE FROM wal WHERE seq > 0 AND seq < ? RETURNING body_id').all(pruneBelow) as Array<{ body_id: Uint8Array | null }>)
      return ids
    })
  }

  /** Every record still held, in append order. */
  readAll (): WalRecord[] {
    return (this.db.sql.prepare('SELECT id, seq, bytes, body_id FROM wal ORDER BY id').all() as Array<{ id: number, seq: number, bytes: Uint8Array, body_id: Uint8Array | null }>)
      .map((r) => r.body_id === null ? { id: Number(r.id), seq: Number(r.seq), bytes: r.bytes } : { id: Number(r.id), seq: Number(r.seq), bytes: r.bytes, bodyId: r.body_id })
  }

  /** A stored body's transactions by digest, or undefined: what recovery resolves a record's digest with. */
  body (id: Uint8Array): Uint8Array[] | undefined {
    return this.bodies.get(id)
  }

  /** Drops records with id < belowId (e.g. below a stable checkpoint); returns how many. */
  prune (belowId: number): number {
    return this.db.write('prune the consensus WAL', () => {
      const gone = this.db.sql.prepare('DELETE FROM wal WHERE id < ? RETURNING body_id').all(belowId) as Array<{ body_id: Uint8Array | null }>
      this.release(gone)
      return gone.length
    })
  }

  /** One reference fewer for each body the dropped records named; a body nothing names any more goes. */
  private release (dropped: ReadonlyArray<{ body_id: Uint8Array | null }>): void {
    for (const r of dropped) if (r.body_id !== null) this.bodies.release(r.body_id)
  }
}
