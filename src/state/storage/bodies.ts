// The body store: each batch's transactions once, by the batch's digest, shared by the committed log and
// the consensus WAL. References are counted in their own small table (body_refs), not in the body's row:
// a count that grows from 1 to 2 changes the row's size, and SQLite then rewrites the whole row with its
// overflow pages (measured: 111 KB of WAL frames for a 100 KB body, against 4 KB for 2 -> 3), which would
// write every shared body twice, the very cost sharing is meant to save.
import type { StatementSync } from 'node:sqlite'
import type { Db } from './db.ts'
import { packTxs, unpackTxs } from './log-codec.ts'

export class BodyStore {
  private readonly q: Record<'insert' | 'same' | 'ref' | 'unref' | 'dropRef' | 'dropBody' | 'get', StatementSync>

  constructor (db: Db) {
    const p = (s: string): StatementSync => db.sql.prepare(s)
    this.q = {
      // refs in batch_bodies is the 2.0 count, unused since 2.1 (kept so the row layout stays 2.0's)
      insert: p('INSERT INTO batch_bodies (batch_id, txs, refs) VALUES (?, ?, 0) ON CONFLICT (batch_id) DO NOTHING'),
      same: p('SELECT txs = ? AS same FROM batch_bodies WHERE batch_id = ?'),
      ref: p('INSERT INTO body_refs (batch_id, refs) VALUES (?, 1) ON CONFLICT (batch_id) DO UPDATE SET refs = refs + 1'),
      unref: p('UPDATE body_refs SET refs = refs - 1 WHERE batch_id = ? RETURNING refs'),
      dropRef: p('DELETE FROM body_refs WHERE batch_id = ?'),
      dropBody: p('DELETE FROM batch_bodies WHERE batch_id = ?'),
      get: p('SELECT txs FROM batch_bodies WHERE batch_id = ?')
    }
  }

  /** One more reference to the body `id` (stored now if new). False, changing nothing, when a different
   *  body is stored under `id` (the id of a batch from a peer or a backup is the sender's word). Call
   *  inside a Db.write. */
  ref (id: Uint8Array, txs: readonly Uint8Array[] | Uint8Array): boolean {
    const packed = txs instanceof Uint8Array ? txs : packTxs(txs)
    if (Number(this.q.insert.run(id, packed).changes) === 0 && Number((this.q.same.get(packed, id) as { same: number }).same) !== 1) return false
    this.q.ref.run(id)
    return true
  }

  /** One reference fewer; the body goes with its last. Returns whether it went. Call inside a Db.write. */
  release (id: Uint8Array): boolean {
    const r = this.q.unref.get(id) as { refs: number } | undefined
    if (r !== undefined && Number(r.refs) > 0) return false
    this.q.dropRef.run(id)
    return Number(this.q.dropBody.run(id).changes) > 0
  }

  get (id: Uint8Array): Uint8Array[] | undefined {
    const r = this.q.get.get(id) as { txs: Uint8Array } | undefined
    return r === undefined ? undefined : unpackTxs(r.txs)
  }
}
