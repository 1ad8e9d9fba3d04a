import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DatabaseSync } from 'node:sqlite'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { kvDelTx, kvPutTx, nodeHeartbeatTx, nodeJoinTx, nodeLeaveTx, nodeUpdateTx, txId, workloadIdFor, workloadPlaceTx, workloadStatusTx, workloadSubmitTx } from '../../../src/state/tx.ts'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { LtHash } from '../../../src/state/lthash.ts'
import { SchemaVersionError } from '../../../src/state/storage/errors.ts'
import { SCHEMA_VERSION } from '../../../src/state/storage/db.ts'
import { toHex } from '../../../src/state/bytes.ts'
import { replayLog, tempDbPath } from './helpers.ts'

const text = (b: Uint8Array | null): string | null => b === null ? null : Buffer.from(b).toString('utf8')

test('durability settings read back from the database: WAL and synchronous=FULL', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  assert.deepEqual(s.durabilitySettings(), { journalMode: 'wal', synchronous: 2 })
  assert.equal(s.schemaVersion(), SCHEMA_VERSION)
  assert.equal(SCHEMA_VERSION, '2.1')
})

test('a reopened database keeps state, log, roots, checkpoints and the consensus WAL', (t) => {
  const path = tempDbPath(t)
  let s = Storage.open({ path })
  let sm = new StateMachine(s)
  const join = nodeJoinTx({ id: 'peerA', cpu: 4, memMiB: 4096, diskGiB: 50, addresses: ['/ip4/127.0.0.1/tcp/1'], labels: { zone: 'z1' } })
  const submit = workloadSubmitTx({ name: 'vm1', cpu: 1, memMiB: 512, diskGiB: 5 })
  sm.applyBatch({ height: 1, txs: [kvPutTx('app/a', '1'), kvPutTx('app/b', '2'), kvPutTx('other', '3'), join], committedAt: 1000 })
  sm.applyBatch({ height: 2, txs: [] })
  const last = sm.applyBatch({ height: 3, txs: [kvDelTx('app/b'), submit, new Uint8Array([7])], committedAt: 3000 })
  s.saveCheckpoint(3, new Uint8Array([1, 2, 3]), 42)
  const ids = s.wal.append([{ seq: 1, bytes: new Uint8Array([1]) }, { seq: 2, bytes: new Uint8Array([2, 2]) }])
  assert.deepEqual(ids, [1, 2])
  s.close()

  s = Storage.open({ path })
  t.after(() => s.close())
  sm = new StateMachine(s)
  assert.equal(s.head().height, 3)
  assert.equal(toHex(s.head().stateRoot), toHex(last.stateRoot))
  assert.deepEqual(text(s.kvGet('app/a').value), '1')
  assert.deepEqual(s.kvGet('app/b'), { key: 'app/b', value: null, height: 3 })
  assert.deepEqual(s.kvList({ prefix: 'app/' }).entries.map((e) => e.key), ['app/a'])
  assert.deepEqual(s.kvList().entries.map((e) => e.key), ['app/a', 'other'])
  assert.equal(s.listNodes()[0].id, 'peerA')
  assert.equal(s.getNode('peerA')?.labels.zone, 'z1')
  const wid = workloadIdFor(txId(submit))
  assert.equal(s.getWorkload(wid)?.status, 'pending')
  assert.equal(s.listWorkloads().length, 1)

  const log = s.logRange(1)
  assert.deepEqual(log.map((e) => e.height), [1, 2, 3])
  assert.equal(log[1].txIds.length, 0, 'a null batch has no tx ids')
  assert.equal(toHex(log[2].txIds[1]), toHex(txId(submit)))
  assert.equal(log[2].committedAt, 3000)
  assert.deepEqual(s.logRange(3).map((e) => e.height), [3])
  const b3 = s.getBatch(3)!
  assert.equal(b3.results[1].ok, true)
  assert.equal(b3.results[2].ok, false)
  assert.deepEqual(s.findTx(txId(submit)), { height: 3, index: 1, result: { ok: true } })
  assert.equal(s.findTx(new Uint8Array(32)), null)
  const cp = s.latestCheckpoint()!
  assert.deepEqual({ ...cp, stateRoot: toHex(cp.stateRoot) }, { height: 3, stateRoot: toHex(last.stateRoot), proof: new Uint8Array([1, 2, 3]), createdAt: 42 })
  assert.deepEqual(s.wal.readAll(), [{ id: 1, seq: 1, bytes: new Uint8Array([1]) }, { id: 2, seq: 2, bytes: new Uint8Array([2, 2]) }])

  // the stored vector is the hash of the stored entries, and the log replays to the same roots
  const h = new LtHash()
  for (const e of s.entries()) h.add(e.table, e.key, e.value)
  assert.equal(toHex(h.root()), toHex(s.head().stateRoot))
  replayLog(s)

  // applying continues at the next height
  assert.equal(sm.applyBatch({ height: 4, txs: [kvPutTx('x', 'y')] }).height, 4)
})

test('kv list pages with after and honours prefixes of 0xff bytes', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  const sm = new StateMachine(s)
  sm.applyBatch({ height: 1, txs: ['a1', 'a2', 'a3', 'b1', '\u00ff', '\u00ffz'].map((k) => kvPutTx(k, 'v')) })
  const p1 = s.kvList({ prefix: 'a', limit: 2 })
  assert.deepEqual(p1.entries.map((e) => e.key), ['a1', 'a2'])
  assert.deepEqual(s.kvList({ prefix: 'a', after: 'a2' }).entries.map((e) => e.key), ['a3'])
  assert.deepEqual(s.kvList({ prefix: '\u00ff' }).entries.map((e) => e.key), ['\u00ff', '\u00ffz'])
  assert.equal(s.kvList({ limit: 100 }).entries.length, 6)
})

test('the consensus WAL keeps ids monotonic across pruning and reopening', (t) => {
  const path = tempDbPath(t)
  let s = Storage.open({ path })
  s.wal.append([1, 2, 3].map((i) => ({ seq: i, bytes: new Uint8Array([i]) })))
  assert.equal(s.wal.prune(3), 2)
  assert.deepEqual(s.wal.readAll().map((r) => r.id), [3])
  s.close()
  s = Storage.open({ path })
  t.after(() => s.close())
  assert.deepEqual(s.wal.append([{ seq: 0, bytes: new Uint8Array(0) }]), [4])
  s.wal.prune(100)
  assert.deepEqual(s.wal.append([{ seq: 0, bytes: new Uint8Array(0) }]), [5])
  assert.throws(() => s.wal.append([{ seq: -1, bytes: new Uint8Array(0) }]), RangeError)
  s.wal.append([{ seq: 0, bytes: Uint8Array.of(1) }, { seq: 10, bytes: Uint8Array.of(2) }, { seq: 20, bytes: Uint8Array.of(3) }])
  s.wal.append([{ seq: 30, bytes: Uint8Array.of(4) }], 20)
  assert.deepEqual(s.wal.readAll().map((r) => r.seq), [0, 0, 20, 30], 'pruneBelow drops positions below it, never seq 0')
})

test('pruning below a checkpoint drops old log rows only', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  const sm = new StateMachine(s)
  for (let h = 1; h <= 5; h++) sm.applyBatch({ height: h, txs: [kvPutTx(`k${h}`, 'v')] })
  s.saveCheckpoint(4, new Uint8Array(0))
  assert.deepEqual(s.pruneBelow(4), { log: 3, checkpoints: 0, snapshots: 0, bodies: 3 })
  assert.deepEqual(s.logRange(0).map((e) => e.height), [4, 5])
  assert.equal(s.kvList().entries.length, 5)
})

test('a database from a newer major schema version is refused with a clear error', (t) => {
  const path = tempDbPath(t)
  Storage.open({ path }).close()
  const setVersion = (v: string): void => {
    const raw = new DatabaseSync(path)
    raw.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(v)
    raw.close()
  }
  setVersion('3.0')
  assert.throws(() => Storage.open({ path }), (err: unknown) => err instanceof SchemaVersionError && /schema version 3\.0, newer than this release supports \(2\.x\)/.test(err.message))
  setVersion('2.7')
  Storage.open({ path }).close()
})

test('a database from the older major schema (batches inline in the log) is refused, naming the way forward', (t) => {
  const path = tempDbPath(t)
  Storage.open({ path }).close()
  const raw = new DatabaseSync(path)
  raw.prepare("UPDATE meta SET value = '1.0' WHERE key = 'schema_version'").run()
  raw.close()
  assert.throws(() => Storage.open({ path }), (err: unknown) => err instanceof SchemaVersionError && /schema version 1\.0, older than this release supports \(2\.x/.test(err.message) && /backup/.test(err.message))
})

test('a batch body is stored once by digest: the log row has only ids, equal batches share one body, pruning drops it with its last row', (t) => {
  const path = tempDbPath(t)
  const s = Storage.open({ path })
  t.after(() => s.close())
  const sm = new StateMachine(s)
  const same = [kvPutTx('dup', 'v')]
  sm.applyBatch({ height: 1, txs: same })
  sm.applyBatch({ height: 2, txs: same }) // a re-proposed batch: same id, its tx already applied
  sm.applyBatch({ height: 3, txs: [kvPutTx('k3', 'v')] })
  const bodies = (): number => Number((s.db.sql.prepare('SELECT count(*) AS n FROM batch_bodies').get() as { n: number }).n)
  assert.equal(bodies(), 2, 'heights 1 and 2 share one body')
  const cols = (s.db.sql.prepare("SELECT name FROM pragma_table_info('log')").all() as Array<{ name: string }>).map((c) => c.name)
  assert.ok(!cols.includes('txs'), 'the log row does not store the transactions again')
  assert.deepEqual(s.getBatch(2)!.txs, same, 'reads get the body by digest')
  assert.deepEqual(s.batchBody(s.getBatch(3)!.batchId), [kvPutTx('k3', 'v')])
  assert.deepEqual(s.getBatch(2)!.results.map((r) => r.ok), [false], 'results stay per row')
  assert.equal(s.pruneBelow(2).bodies, 0, 'height 2 still names the shared body')
  assert.deepEqual(s.getBatch(2)!.txs, same)
  assert.equal(s.pruneBelow(3).bodies, 1)
  assert.equal(s.batchBody(s.getBatch(3)!.batchId) !== null, true)
  assert.equal(bodies(), 1)
})

test('a batch whose id names a different stored body is refused and changes nothing', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  const sm = new StateMachine(s)
  const first = sm.applyBatch({ height: 1, txs: [kvPutTx('a', '1')] })
  assert.throws(() => sm.applyBatch({ height: 2, txs: [kvPutTx('b', '2')], batchId: first.batchId }), /id of a different stored batch/)
  assert.equal(s.head().height, 1)
  assert.equal(s.kvGet('b').value, null)
  assert.deepEqual(s.getBatch(1)!.txs, [kvPutTx('a', '1')])
})

test('storage (bulk reads) and the in-memory backend apply the same batches to the same roots', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  const disk = new StateMachine(s)
  const mem = new StateMachine(new MemoryBackend())
  const node = (id: string, cpu: number): Parameters<typeof nodeJoinTx>[0] => ({ id, cpu, memMiB: 1024, diskGiB: 10, addresses: [], labels: { role: 'worker' } })
  const submit = workloadSubmitTx({ name: 'w', cpu: 1, memMiB: 64, diskGiB: 1 })
  const wid = workloadIdFor(txId(submit))
  const batches = [
    [kvPutTx('a', '1'), nodeJoinTx(node('n1', 2)), submit, kvPutTx('a', '2')],
    [kvDelTx('a'), nodeUpdateTx(node('n1', 4)), workloadStatusTx(wid, 'running'), kvDelTx('a')],
    Array.from({ length: 300 }, (_, i) => kvPutTx(`bulk/${i % 200}`, `v${i}`)),
    [nodeLeaveTx('n1'), workloadStatusTx(wid, 'completed'), kvPutTx('a', '1')]
  ]
  batches.forEach((txs, i) => {
    const a = disk.applyBatch({ height: i + 1, txs })
    const b = mem.applyBatch({ height: i + 1, txs })
    assert.equal(toHex(a.stateRoot), toHex(b.stateRoot), `height ${i + 1}`)
    assert.deepEqual(a.results, b.results)
  })
})

test('storage: the hosts table (with its empty-key heartbeat counter) persists, lists, and survives a snapshot', (t) => {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  const sm = new StateMachine(s)
  const submit = workloadSubmitTx({ name: 'w', cpu: 2, memMiB: 64, diskGiB: 1, durationS: 60 })
  const wid = workloadIdFor(txId(submit))
  const out = sm.applyBatch({ height: 1, txs: [nodeJoinTx({ id: 'n1', cpu: 4, memMiB: 1024, diskGiB: 10, addresses: [], labels: {} }), nodeHeartbeatTx('n1'), submit, workloadPlaceTx(wid, 'n1')] })
  assert.ok(out.results.every((r) => r.ok), JSON.stringify(out.results))
  const hosts = s.listHosts()
  assert.equal(hosts.beats, 1)
  assert.deepEqual(hosts.hosts.map((h) => [h.node.id, h.host.lastBeat, h.host.cpu, h.host.workloads]), [['n1', 1, 2, 1]])
  assert.equal(s.getWorkload(wid)?.durationS, 60)
  const dst = Storage.open({ path: tempDbPath(t) })
  t.after(() => dst.close())
  dst.installSnapshot(s.exportSnapshot())
  assert.deepEqual(dst.listHosts().hosts.map((h) => h.host.cpu), [2])
  assert.equal(toHex(dst.head().stateRoot), toHex(s.head().stateRoot))
})
