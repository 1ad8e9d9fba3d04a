import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { kvDelTx, kvPutTx, nodeJoinTx, nodeLeaveTx, nodeUpdateTx, txId, workloadIdFor, workloadStatusTx, workloadSubmitTx } from '../../../src/state/tx.ts'
import { decodeNodeRecord, decodeWorkloadRecord, TABLE } from '../../../src/state/records.ts'
import { LtHash } from '../../../src/state/lthash.ts'
import { toHex, utf8Bytes } from '../../../src/state/bytes.ts'

function fresh (): { sm: StateMachine, be: MemoryBackend } {
  const be = new MemoryBackend()
  return { sm: new StateMachine(be), be }
}

function batches (seed: number, count: number, perBatch: number): Uint8Array[][] {
  const out: Uint8Array[][] = []
  let x = seed
  const next = (): number => { x = (x * 1103515245 + 12345) % 2147483648; return x }
  for (let b = 0; b < count; b++) {
    const txs: Uint8Array[] = []
    for (let i = 0; i < perBatch; i++) {
      const k = `k${next() % 50}`
      txs.push(next() % 4 === 0 ? kvDelTx(k) : kvPutTx(k, `v${next() % 1000}`, { nonce: 'random' }))
    }
    out.push(txs)
  }
  return out
}

test('two machines fed the same batches reach the same roots at every height', () => {
  const a = fresh()
  const b = fresh()
  const input = batches(7, 30, 20)
  input.forEach((txs, i) => {
    const ra = a.sm.applyBatch({ height: i + 1, txs, committedAt: 1 })
    const rb = b.sm.applyBatch({ height: i + 1, txs, committedAt: 2 })
    assert.deepEqual(ra.stateRoot, rb.stateRoot)
    assert.deepEqual(ra.results, rb.results)
  })
})

test('a different order of the same transactions gives a different root', () => {
  const a = fresh()
  const b = fresh()
  const p1 = kvPutTx('x', '1')
  const p2 = kvPutTx('x', '2')
  assert.notDeepEqual(a.sm.applyBatch({ height: 1, txs: [p1, p2] }).stateRoot, b.sm.applyBatch({ height: 1, txs: [p2, p1] }).stateRoot)
})

test('the root is the hash of the entries, however they were reached', () => {
  const { sm, be } = fresh()
  for (const [i, txs] of batches(3, 20, 15).entries()) sm.applyBatch({ height: i + 1, txs })
  const recomputed = new LtHash()
  for (const e of be.entries()) recomputed.add(e.table, e.key, e.value)
  assert.deepEqual(recomputed.root(), be.head().stateRoot)
})

test('every write changes the root; undoing a put with a del restores it; null batches keep it', () => {
  const { sm } = fresh()
  const r0 = sm.head().stateRoot
  const r1 = sm.applyBatch({ height: 1, txs: [kvPutTx('a', '1')] }).stateRoot
  assert.notDeepEqual(r1, r0)
  const r2 = sm.applyBatch({ height: 2, txs: [kvPutTx('b', '2')] }).stateRoot
  assert.notDeepEqual(r2, r1)
  const r3 = sm.applyBatch({ height: 3, txs: [kvDelTx('b')] }).stateRoot
  assert.deepEqual(r3, r1)
  const r4 = sm.applyBatch({ height: 4, txs: [] })
  assert.deepEqual(r4.stateRoot, r1)
  assert.deepEqual(r4.results, [])
  const r5 = sm.applyBatch({ height: 5, txs: [kvPutTx('a', '2')] }).stateRoot
  assert.notDeepEqual(r5, r1)
  assert.deepEqual(sm.applyBatch({ height: 6, txs: [kvPutTx('a', '1')] }).stateRoot, r1)
})

test('malformed and rule-breaking transactions are no-ops with error results', () => {
  const { sm, be } = fresh()
  const before = sm.head().stateRoot
  const out = sm.applyBatch({ height: 1, txs: [new Uint8Array([1, 99]), new Uint8Array(0), kvDelTx('missing'), nodeLeaveTx('nobody'), workloadStatusTx('w', 'running')] })
  assert.equal(out.results.length, 5)
  for (const r of out.results) assert.equal(r.ok, false)
  assert.match((out.results[0] as { error: string }).error, /unknown transaction kind 99/)
  assert.match((out.results[2] as { error: string }).error, /not found/)
  assert.deepEqual(out.stateRoot, before)
  assert.equal(be.head().height, 1)
})

test('heights must follow one another', () => {
  const { sm } = fresh()
  assert.throws(() => sm.applyBatch({ height: 2, txs: [] }), { code: 'ERR_STATE_HEIGHT' })
  sm.applyBatch({ height: 1, txs: [] })
  assert.throws(() => sm.applyBatch({ height: 1, txs: [] }), /does not follow/)
})

test('cluster registry: join, update keeps joinedHeight, duplicate join and leave rules', () => {
  const { sm, be } = fresh()
  const node = { id: 'peerA', cpu: 8, memMiB: 16384, diskGiB: 500, addresses: ['/ip4/10.0.0.1/tcp/4001'], labels: { zone: 'a', rack: '3' } }
  let out = sm.applyBatch({ height: 1, txs: [nodeJoinTx(node), nodeJoinTx(node, { nonce: 'random' })] })
  assert.deepEqual(out.results[0], { ok: true })
  assert.match((out.results[1] as { error: string }).error, /already joined/)
  out = sm.applyBatch({ height: 2, txs: [nodeUpdateTx({ ...node, cpu: 16 })] })
  assert.deepEqual(out.results, [{ ok: true }])
  const rec = decodeNodeRecord(be.readState(TABLE.nodes, utf8Bytes('peerA'))!)
  assert.ok(rec.ok)
  assert.equal(rec.value.cpu, 16)
  assert.equal(rec.value.joinedHeight, 1)
  assert.equal(rec.value.updatedHeight, 2)
  assert.deepEqual({ ...rec.value.labels }, { rack: '3', zone: 'a' })
  out = sm.applyBatch({ height: 3, txs: [nodeLeaveTx('peerA'), nodeUpdateTx(node)] })
  assert.deepEqual(out.results[0], { ok: true })
  assert.match((out.results[1] as { error: string }).error, /not a member/)
})

test('workloads: id from the submitting tx, status changes until terminal', () => {
  const { sm, be } = fresh()
  const submit = workloadSubmitTx({ name: 'web', cpu: 2, memMiB: 2048, diskGiB: 10 }, { nonce: 'random' })
  const id = workloadIdFor(txId(submit))
  assert.equal(id.length, 32)
  sm.applyBatch({ height: 1, txs: [submit] })
  const out = sm.applyBatch({ height: 2, txs: [workloadStatusTx(id, 'running'), workloadStatusTx(id, 'completed'), workloadStatusTx(id, 'running', 'again')] })
  assert.deepEqual(out.results.slice(0, 2), [{ ok: true }, { ok: true }])
  assert.match((out.results[2] as { error: string }).error, /already completed/)
  const rec = decodeWorkloadRecord(be.readState(TABLE.workloads, utf8Bytes(id))!)
  assert.ok(rec.ok)
  assert.equal(rec.value.status, 'completed')
  assert.equal(rec.value.submittedHeight, 1)
  assert.equal(rec.value.node, null)
  assert.equal(sm.applyBatch({ height: 3, txs: [submit] }).results[0].ok, false, 'the same submit tx cannot create it twice')
})

test('a batch writing a key several times records one net write', () => {
  const { sm, be } = fresh()
  sm.applyBatch({ height: 1, txs: [kvPutTx('k', '1'), kvPutTx('k', '2'), kvPutTx('j', '1'), kvDelTx('j')] })
  const last = be.log.at(-1)!
  assert.equal(last.writes.length, 1)
  assert.equal(toHex(last.writes[0].value!), toHex(utf8Bytes('2')))
})
