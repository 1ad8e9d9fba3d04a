// A state commit is not fsynced at its own COMMIT (synchronous=NORMAL for that transaction only): the next
// fsynced write, the consensus WAL's, makes it durable, since an fsync of the one WAL file covers every
// frame before it. Every other write keeps FULL, and 'full' restores the old behaviour. What a power cut
// may then drop, and how a node gets it back, is test/sim/state-loss.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { kvPutTx } from '../../../src/state/tx.ts'
import { tempDbPath } from './helpers.ts'

/** The statements each kind of write runs, recorded by wrapping the connection's exec. */
function recordExec (s: Storage): string[] {
  const seen: string[] = []
  const exec = s.db.sql.exec.bind(s.db.sql)
  s.db.sql.exec = (sql: string) => { seen.push(sql); return exec(sql) }
  return seen
}

test('a state commit runs at synchronous=NORMAL, the consensus WAL and the rest at FULL, and the connection stays FULL', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  const seen = recordExec(s)
  new StateMachine(s).applyBatch({ height: 1, txs: [kvPutTx('a', '1')] })
  assert.deepEqual(seen, ['PRAGMA synchronous = NORMAL', 'BEGIN IMMEDIATE', 'COMMIT', 'PRAGMA synchronous = FULL'])
  assert.equal(s.durabilitySettings().synchronous, 2)
  seen.length = 0
  s.wal.append([{ seq: 1, bytes: Uint8Array.of(1) }])
  s.saveCheckpoint(1, new Uint8Array(0))
  assert.deepEqual(seen, ['BEGIN IMMEDIATE', 'COMMIT', 'BEGIN IMMEDIATE', 'COMMIT'], 'no relaxed sync for the WAL or a checkpoint')
})

test('a failed state commit still leaves the connection at FULL', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  new StateMachine(s).applyBatch({ height: 1, txs: [kvPutTx('a', '1')] })
  assert.throws(() => s.commitBatch({ height: 1, batchId: new Uint8Array(32), txs: [], txIds: [], results: [], writes: [], vector: new Uint8Array(0), stateRoot: new Uint8Array(32), committedAt: 0 }), /does not follow/)
  assert.throws(() => s.commitBatch({ height: 2, batchId: s.getBatch(1)!.batchId, txs: [kvPutTx('other', 'x')], txIds: [], results: [], writes: [], vector: new Uint8Array(0), stateRoot: new Uint8Array(32), committedAt: 0 }), /different stored batch/)
  assert.equal(s.durabilitySettings().synchronous, 2)
  assert.equal(s.head().height, 1)
})

test("stateSync 'full' fsyncs every state commit as before", (t) => {
  const s = Storage.open({ path: tempDbPath(t), stateSync: 'full' })
  t.after(() => s.close())
  const seen = recordExec(s)
  new StateMachine(s).applyBatch({ height: 1, txs: [kvPutTx('a', '1')] })
  assert.deepEqual(seen, ['BEGIN IMMEDIATE', 'COMMIT'])
})
