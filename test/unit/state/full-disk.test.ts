import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { StorageFullError, StorageReadOnlyError } from '../../../src/state/storage/errors.ts'
import { kvPutTx } from '../../../src/state/tx.ts'
import { toHex } from '../../../src/state/bytes.ts'
import { replayLog, tempDbPath } from './helpers.ts'

// max_page_count caps the database file, so SQLite answers SQLITE_FULL exactly as on a full disk.
test('a full disk rolls the batch back, makes storage read-only, and corrupts nothing', (t) => {
  const path = tempDbPath(t)
  const s = Storage.open({ path, maxPageCount: 40 })
  const sm = new StateMachine(s)
  const value = 'x'.repeat(2000)
  let height = 0
  let full: unknown = null
  while (full === null && height < 500) {
    try {
      sm.applyBatch({ height: height + 1, txs: Array.from({ length: 4 }, (_, i) => kvPutTx(`k${height}-${i}`, value)) })
      height++
    } catch (err) {
      full = err
    }
  }
  assert.ok(full instanceof StorageFullError, `expected StorageFullError, got ${String(full)}`)
  assert.equal(full.code, 'ERR_STORAGE_FULL')
  assert.match(full.message, /database or disk is full .*free disk space and restart the node/)
  assert.ok(height > 0, 'some batches fit before the disk filled')
  const rootBefore = toHex(s.head().stateRoot)
  assert.equal(s.head().height, height)

  // sticky: every later write refuses at once, reads still work
  assert.deepEqual(s.health().writable, false)
  assert.match(s.health().reason!, /disk is full/)
  assert.throws(() => sm.applyBatch({ height: height + 1, txs: [] }), StorageReadOnlyError)
  assert.throws(() => s.wal.append([{ seq: 1, bytes: new Uint8Array(1) }]), (e: unknown) => e instanceof StorageReadOnlyError && /read-only, refusing to append to the consensus WAL/.test(e.message))
  assert.equal(s.kvGet('k0-0').height, height)
  assert.equal(toHex(s.head().stateRoot), rootBefore)
  s.close()

  // with space again: everything committed before is there, consistent, and applying resumes
  const again = Storage.open({ path })
  t.after(() => again.close())
  assert.equal(again.head().height, height)
  assert.equal(toHex(again.head().stateRoot), rootBefore)
  assert.equal(again.kvList({ limit: 10_000 }).entries.length, height * 4)
  replayLog(again)
  assert.ok(again.health().writable)
  new StateMachine(again).applyBatch({ height: height + 1, txs: [kvPutTx('after', 'ok')] })
})
