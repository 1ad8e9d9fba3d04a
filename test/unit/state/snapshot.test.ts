import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { decodeSnapshot, exportSnapshot, installSnapshot, SnapshotError } from '../../../src/state/snapshot.ts'
import { kvPutTx, nodeJoinTx, workloadSubmitTx } from '../../../src/state/tx.ts'
import { toHex } from '../../../src/state/bytes.ts'
import { tempDbPath } from './helpers.ts'

function populated (t: Parameters<typeof tempDbPath>[0]): Storage {
  const s = Storage.open({ path: tempDbPath(t, 'source.db') })
  t.after(() => s.close())
  const sm = new StateMachine(s)
  sm.applyBatch({ height: 1, txs: Array.from({ length: 50 }, (_, i) => kvPutTx(`key/${i}`, `value ${i}`)) })
  sm.applyBatch({ height: 2, txs: [nodeJoinTx({ id: 'p1', cpu: 2, memMiB: 1024, diskGiB: 10, addresses: [], labels: {} }), workloadSubmitTx({ name: 'w', cpu: 1, memMiB: 1, diskGiB: 1 })] })
  return s
}

test('export and install round-trip: the target reaches the same height, root and reads, and goes on applying', (t) => {
  const src = populated(t)
  const bytes = src.exportSnapshot()
  const dst = Storage.open({ path: tempDbPath(t, 'target.db') })
  t.after(() => dst.close())
  const dsm = new StateMachine(dst)
  dsm.applyBatch({ height: 1, txs: [kvPutTx('stale', 'x')] })
  const info = dst.installSnapshot(bytes, { height: 2, stateRoot: src.head().stateRoot })
  assert.equal(info.height, 2)
  assert.equal(info.entries, 54, '52 data entries and the replay rows of heights 1 and 2')
  assert.equal(toHex(dst.head().stateRoot), toHex(src.head().stateRoot))
  assert.equal(dst.kvGet('stale').value, null)
  assert.equal(Buffer.from(dst.kvGet('key/7').value!).toString(), 'value 7')
  assert.equal(dst.listNodes().length, 1)
  assert.equal(dst.baseHeight(), 2)
  const a = new StateMachine(src).applyBatch({ height: 3, txs: [kvPutTx('n', '1')] })
  const b = dsm.applyBatch({ height: 3, txs: [kvPutTx('n', '1')] })
  assert.equal(toHex(a.stateRoot), toHex(b.stateRoot))
})

test('stored snapshots can be fetched by height', (t) => {
  const src = populated(t)
  const info = src.saveSnapshot()
  assert.equal(info.height, 2)
  assert.equal(src.latestSnapshotHeight(), 2)
  const stored = src.getSnapshot(2)!
  assert.equal(toHex(stored), toHex(src.exportSnapshot()))
  assert.equal(src.getSnapshot(1), null)
})

test('a tampered, mismatched or stale snapshot is refused and changes nothing', (t) => {
  const src = populated(t)
  const bytes = src.exportSnapshot()
  const dst = new MemoryBackend()
  new StateMachine(dst).applyBatch({ height: 1, txs: [kvPutTx('mine', '1')] })
  const before = toHex(dst.head().stateRoot)

  const tampered = Uint8Array.from(bytes)
  tampered[tampered.length - 1] ^= 1 // last byte of the last value
  assert.throws(() => installSnapshot(dst, tampered), (e: unknown) => e instanceof SnapshotError && /entries hash to .* snapshot claims/.test(e.message))
  const forgedRoot = Uint8Array.from(bytes)
  forgedRoot[6 + 1 + 8] ^= 1 // first byte of the claimed root
  assert.throws(() => installSnapshot(dst, forgedRoot), SnapshotError)
  assert.throws(() => installSnapshot(dst, bytes, { stateRoot: new Uint8Array(32) }), /differs from the certified root/)
  assert.throws(() => installSnapshot(dst, bytes, { height: 3 }), /expected 3/)
  assert.throws(() => installSnapshot(dst, bytes.subarray(0, bytes.length - 3)), /truncated/)
  assert.throws(() => installSnapshot(dst, new Uint8Array([1, 2, 3])), /not a novacron snapshot|truncated/)
  assert.equal(toHex(dst.head().stateRoot), before)
  assert.equal(dst.head().height, 1)

  installSnapshot(dst, bytes, { height: 2, stateRoot: src.head().stateRoot })
  assert.throws(() => installSnapshot(dst, bytes), /not ahead of applied height 2/)
})

test('snapshot decoding bounds counts and is canonical', () => {
  const be = new MemoryBackend()
  new StateMachine(be).applyBatch({ height: 1, txs: [kvPutTx('a', '1'), kvPutTx('b', '2')] })
  const bytes = exportSnapshot(be)
  const huge = Uint8Array.from(bytes)
  new DataView(huge.buffer).setBigUint64(6 + 1 + 8 + 32, 1n << 40n)
  assert.match((decodeSnapshot(huge) as { error: string }).error, /exceeds/)
  const r = decodeSnapshot(bytes)
  assert.ok(r.ok)
  assert.equal(r.value.entries.length, 3, 'two keys and the replay row')
})
