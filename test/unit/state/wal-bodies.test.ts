// The consensus WAL's body store: a record that names a batch by digest brings the batch along, stored once
// in batch_bodies (shared with the committed log, refcounted by both), kept while any record or log row
// names it, and read back by digest on restart. Bad bodies are refused and change nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { kvPutTx } from '../../../src/state/tx.ts'
import { makeBatch } from '../../../src/consensus/core/batch.ts'
import { toHex } from '../../../src/state/bytes.ts'
import { tempDbPath } from './helpers.ts'

const bodyRows = (s: Storage): Array<{ id: string, refs: number }> =>
  (s.db.sql.prepare('SELECT b.batch_id, r.refs FROM batch_bodies b LEFT JOIN body_refs r USING (batch_id) ORDER BY b.batch_id').all() as Array<{ batch_id: Uint8Array, refs: number | null }>).map((r) => ({ id: toHex(r.batch_id), refs: Number(r.refs) }))

test('a body two records name is stored once, survives a reopen, and goes with the last record that names it', (t) => {
  const path = tempDbPath(t)
  let s = Storage.open({ path })
  const batch = makeBatch([kvPutTx('a', '1'), kvPutTx('b', '2')])
  const other = makeBatch([kvPutTx('c', '3')])
  s.wal.append([{ seq: 1, bytes: Uint8Array.of(1), body: batch }, { seq: 2, bytes: Uint8Array.of(2), body: batch }, { seq: 3, bytes: Uint8Array.of(3), body: other }, { seq: 0, bytes: Uint8Array.of(9) }])
  assert.deepEqual(bodyRows(s).find((r) => r.id === toHex(batch.id))?.refs, 2)
  assert.equal(bodyRows(s).length, 2)
  s.close()

  s = Storage.open({ path })
  t.after(() => s.close())
  const all = s.wal.readAll()
  assert.deepEqual(all.map((r) => r.bodyId === undefined ? null : toHex(r.bodyId)), [toHex(batch.id), toHex(batch.id), toHex(other.id), null])
  assert.deepEqual(s.wal.body(batch.id)?.map((tx) => toHex(tx)), batch.txs.map((tx) => toHex(tx)))
  assert.equal(s.wal.body(new Uint8Array(32)), undefined)

  // pruneBelow 2 drops seq 1: one reference fewer, the body stays for seq 2
  s.wal.append([], 2)
  assert.deepEqual(bodyRows(s).find((r) => r.id === toHex(batch.id))?.refs, 1)
  // prune by id drops seq 2 and 3: both bodies go, the seq-0 record stays
  assert.equal(s.wal.prune(all[3].id), 2)
  assert.deepEqual(bodyRows(s), [])
  assert.deepEqual(s.wal.readAll().map((r) => r.seq), [0])
})

test('a body the committed log also names outlives the records, and the log row outlives nothing it needs', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  const txs = [kvPutTx('k', 'v')]
  const batch = makeBatch(txs)
  s.wal.append([{ seq: 1, bytes: Uint8Array.of(1), body: batch }])
  new StateMachine(s).applyBatch({ height: 1, txs, batchId: batch.id })
  assert.deepEqual(bodyRows(s), [{ id: toHex(batch.id), refs: 2 }], 'one body, named by the record and the log row')
  s.wal.append([], 5)
  assert.deepEqual(s.getBatch(1)?.txs.map((tx) => toHex(tx)), txs.map((tx) => toHex(tx)), 'the log row still reads its body')
  new StateMachine(s).applyBatch({ height: 2, txs: [] })
  s.saveCheckpoint(2, new Uint8Array(0))
  assert.equal(s.pruneBelow(2).bodies, 1)
  assert.deepEqual(bodyRows(s).filter((r) => r.id === toHex(batch.id)), [])
})

test('bad bodies are refused and the append changes nothing', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  const batch = makeBatch([kvPutTx('a', '1')])
  s.wal.append([{ seq: 1, bytes: Uint8Array.of(1), body: batch }])
  const before = { wal: s.wal.readAll().length, bodies: bodyRows(s) }
  assert.throws(() => s.wal.append([{ seq: 2, bytes: Uint8Array.of(2), body: { id: new Uint8Array(31), txs: batch.txs } }]), RangeError, 'an id that is not a digest')
  assert.throws(() => s.wal.append([{ seq: 2, bytes: Uint8Array.of(2), body: { id: new Uint8Array(32), txs: [new Uint8Array(17 * 1024 * 1024)] } }]), RangeError, 'a body over the record limit')
  assert.throws(() => s.wal.append([{ seq: 2, bytes: Uint8Array.of(2) }, { seq: 3, bytes: Uint8Array.of(3), body: { id: batch.id, txs: [kvPutTx('other', 'x')] } }]), /id of a different stored batch/, 'another batch under a stored digest')
  assert.deepEqual({ wal: s.wal.readAll().length, bodies: bodyRows(s) }, before)
})

test('a 2.0 database gains wal.body_id and body_refs (with the counts it kept in the body rows) on open and reads as 2.1', (t) => {
  const path = tempDbPath(t)
  const old = Storage.open({ path })
  const txs = [kvPutTx('k', 'v')]
  new StateMachine(old).applyBatch({ height: 1, txs })
  old.close()
  const raw = new DatabaseSync(path)
  raw.exec('DROP TABLE wal; CREATE TABLE wal (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, bytes BLOB NOT NULL); CREATE INDEX wal_seq ON wal (seq)')
  raw.exec('DROP TABLE body_refs; UPDATE batch_bodies SET refs = 1')
  raw.prepare("UPDATE meta SET value = '2.0' WHERE key = 'schema_version'").run()
  raw.prepare('INSERT INTO wal (seq, bytes) VALUES (1, ?)').run(Uint8Array.of(2))
  raw.close()
  const s = Storage.open({ path })
  t.after(() => s.close())
  assert.equal(s.schemaVersion(), '2.1')
  assert.deepEqual(bodyRows(s).map((r) => r.refs), [1], 'the log row\'s reference moved to body_refs')
  assert.deepEqual(s.getBatch(1)?.txs.length, 1)
  assert.deepEqual(s.wal.readAll(), [{ id: 1, seq: 1, bytes: Uint8Array.of(2) }], 'old rows are kept (the record decoder refuses their format)')
  s.wal.append([{ seq: 2, bytes: Uint8Array.of(3), body: makeBatch([kvPutTx('a', '1')]) }])
  assert.equal(s.wal.readAll().length, 2)
})

test('a second reference to a large body writes a page, not the body again', (t) => {
  const path = tempDbPath(t)
  const s = Storage.open({ path })
  t.after(() => s.close())
  s.db.sql.exec('PRAGMA wal_autocheckpoint = 0')
  // 200 random transactions of 512 bytes: about 100 KB of overflow pages
  const txs = Array.from({ length: 200 }, () => crypto.getRandomValues(new Uint8Array(512)))
  const batch = makeBatch(txs)
  s.wal.append([{ seq: 1, bytes: Uint8Array.of(1), body: batch }])
  const before = statSync(`${path}-wal`).size
  s.wal.append([{ seq: 2, bytes: Uint8Array.of(2), body: batch }])
  const grew = statSync(`${path}-wal`).size - before
  assert.ok(grew < 100_000 / 4, `the WAL file grew ${grew} bytes for a reference`)
})
