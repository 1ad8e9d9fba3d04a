import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { kvDelTx, kvPutTx, nodeHeartbeatTx, nodeJoinTx, nodeLeaveTx, nodeUpdateTx, txId, workloadIdFor, workloadPlaceTx, workloadStatusTx, workloadSubmitTx } from '../../../src/state/tx.ts'
import { decodeHostRecord, decodeNodeRecord, decodeWorkloadRecord, TABLE } from '../../../src/state/records.ts'
import { LtHash } from '../../../src/state/lthash.ts'
import { toHex, utf8Bytes } from '../../../src/state/bytes.ts'

function fresh (replayWindow?: number): { sm: StateMachine, be: MemoryBackend } {
  const be = new MemoryBackend()
  return { sm: new StateMachine(be, { replayWindow }), be }
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

test('every write changes the root; once the replay window has passed, the root is that of the data alone', () => {
  // window 1: a batch's ids are remembered until the next batch, so a null batch leaves only the data
  const { sm } = fresh(1)
  const r0 = sm.head().stateRoot
  const r1 = sm.applyBatch({ height: 1, txs: [kvPutTx('a', '1')] }).stateRoot
  assert.notDeepEqual(r1, r0)
  const r1data = sm.applyBatch({ height: 2, txs: [] }).stateRoot
  assert.notDeepEqual(r1data, r1, 'the ids of batch 1 were part of the root')
  const r3 = sm.applyBatch({ height: 3, txs: [kvPutTx('b', '2')] }).stateRoot
  assert.notDeepEqual(r3, r1data)
  assert.notDeepEqual(sm.applyBatch({ height: 4, txs: [kvDelTx('b')] }).stateRoot, r1data, 'the del is remembered')
  const r5 = sm.applyBatch({ height: 5, txs: [] })
  assert.deepEqual(r5.stateRoot, r1data, 'put undone by del, window passed')
  assert.deepEqual(r5.results, [])
  assert.deepEqual(sm.applyBatch({ height: 6, txs: [] }).stateRoot, r1data, 'null batches keep it')
  sm.applyBatch({ height: 7, txs: [kvPutTx('a', '2')] })
  sm.applyBatch({ height: 8, txs: [kvPutTx('a', '1', { nonce: 'random' })] })
  assert.deepEqual(sm.applyBatch({ height: 9, txs: [] }).stateRoot, r1data)
})

test('malformed and rule-breaking transactions are no-ops with error results', () => {
  const { sm, be } = fresh()
  const out = sm.applyBatch({ height: 1, txs: [new Uint8Array([1, 99]), new Uint8Array(0), kvDelTx('missing'), nodeLeaveTx('nobody'), workloadStatusTx('w', 'running')] })
  assert.equal(out.results.length, 5)
  for (const r of out.results) assert.equal(r.ok, false)
  assert.match((out.results[0] as { error: string }).error, /unknown transaction kind 99/)
  assert.match((out.results[2] as { error: string }).error, /not found/)
  assert.deepEqual(be.log[0].writes.map((w) => w.table), [TABLE.replay], 'only their ids are remembered')
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
  assert.match((out.results[0] as { error: string }).error, /not placed: it cannot start/)
  assert.deepEqual(out.results[1], { ok: true })
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
  const data = be.log.at(-1)!.writes.filter((w) => w.table !== TABLE.replay)
  assert.equal(data.length, 1)
  assert.equal(toHex(data[0].value!), toHex(utf8Bytes('2')))
})

function hostNode (id: string, cpu: number, memMiB: number): Parameters<typeof nodeJoinTx>[0] {
  return { id, cpu, memMiB, diskGiB: 100, addresses: [], labels: {} }
}

function placementCluster (livenessBeats = 4): { sm: StateMachine, be: MemoryBackend, apply: (txs: Uint8Array[]) => Array<{ ok: boolean, error?: string }>, wl: (cpu: number, mem: number) => string } {
  const be = new MemoryBackend()
  const sm = new StateMachine(be, { livenessBeats })
  let h = 0
  const apply = (txs: Uint8Array[]): Array<{ ok: boolean, error?: string }> => sm.applyBatch({ height: ++h, txs }).results
  const wl = (cpu: number, mem: number): string => {
    const tx = workloadSubmitTx({ name: `w${cpu}-${mem}`, cpu, memMiB: mem, diskGiB: 1 }, { nonce: 'random' })
    assert.deepEqual(apply([tx]), [{ ok: true }])
    return workloadIdFor(txId(tx))
  }
  apply([nodeJoinTx(hostNode('a', 4, 4096)), nodeJoinTx(hostNode('b', 8, 8192)), nodeHeartbeatTx('a'), nodeHeartbeatTx('b')])
  return { sm, be, apply, wl }
}

function workloadOf (be: MemoryBackend, id: string): ReturnType<typeof decodeWorkloadRecord> & { ok: true } {
  const rec = decodeWorkloadRecord(be.readState(TABLE.workloads, utf8Bytes(id))!)
  assert.ok(rec.ok)
  return rec
}

test('workload.place: applied only when the workload is pending and the node is a live member with room', () => {
  const { be, apply, wl } = placementCluster()
  const big = wl(5, 1024)
  const small = wl(2, 1024)
  const res = apply([
    workloadPlaceTx(big, 'a'), // 5 vCPU on a 4-vCPU host
    workloadPlaceTx(big, 'nobody'),
    workloadPlaceTx('no-such-workload', 'b'),
    workloadPlaceTx(big, 'b'),
    workloadPlaceTx(small, 'b', { nonce: new Uint8Array([1]) }),
    workloadPlaceTx(small, 'b', { nonce: new Uint8Array([2]) }), // already placed, on a live host
    workloadPlaceTx(small, 'a', { nonce: new Uint8Array([3]) })
  ])
  assert.match(res[0].error!, /does not fit on node a: cpu 0 \+ 5 > 4/)
  assert.match(res[1].error!, /not a member/)
  assert.match(res[2].error!, /not found/)
  assert.deepEqual(res.slice(3, 5), [{ ok: true }, { ok: true }])
  assert.match(res[5].error!, /is placed on live node b/)
  assert.match(res[6].error!, /is placed on live node b/)
  const third = wl(2, 1024)
  assert.match(apply([workloadPlaceTx(third, 'b')])[0].error!, /cpu 7 \+ 2 > 8/, 'b holds 5 + 2 of 8 vCPUs')
  const host = decodeHostRecord(be.readState(TABLE.hosts, utf8Bytes('b'))!)
  assert.ok(host.ok)
  assert.deepEqual({ cpu: host.value.cpu, memMiB: host.value.memMiB, workloads: host.value.workloads }, { cpu: 7, memMiB: 2048, workloads: 2 })
  assert.equal(workloadOf(be, big).value.status, 'placed')
  assert.equal(workloadOf(be, big).value.node, 'b')
})

test('a host that stops beating loses liveness; its workloads are re-placed and the capacity moves with them', () => {
  const { be, apply, wl } = placementCluster(4)
  const w = wl(2, 1024)
  assert.deepEqual(apply([workloadPlaceTx(w, 'a'), workloadStatusTx(w, 'running')]), [{ ok: true }, { ok: true }])
  assert.match(apply([workloadPlaceTx(w, 'b')])[0].error!, /running on live node a/)
  apply([nodeHeartbeatTx('b'), nodeHeartbeatTx('b'), nodeHeartbeatTx('b')]) // a's last beat is now 4 behind
  assert.match(apply([workloadPlaceTx(w, 'a', { nonce: new Uint8Array([9]) })])[0].error!, /node a is not live/)
  assert.deepEqual(apply([workloadPlaceTx(w, 'b', { nonce: new Uint8Array([8]) })]), [{ ok: true }], 'a new tx: the refused one is remembered')
  const rec = workloadOf(be, w).value
  assert.equal(rec.node, 'b')
  assert.equal(rec.status, 'placed')
  assert.equal(rec.placements, 2)
  assert.match(rec.reason, /re-placed from a/)
  apply([workloadStatusTx(w, 'running')])
  assert.match(workloadOf(be, w).value.reason, /re-placed from a/, 'starting keeps the reason')
  const a = decodeHostRecord(be.readState(TABLE.hosts, utf8Bytes('a'))!)
  const b = decodeHostRecord(be.readState(TABLE.hosts, utf8Bytes('b'))!)
  assert.ok(a.ok && b.ok)
  assert.deepEqual([a.value.cpu, a.value.workloads, b.value.cpu, b.value.workloads], [0, 0, 2, 1])
  assert.deepEqual(apply([workloadStatusTx(w, 'stopped', 'operator')]), [{ ok: true }])
  const after = decodeHostRecord(be.readState(TABLE.hosts, utf8Bytes('b'))!)
  assert.ok(after.ok)
  assert.deepEqual([after.value.cpu, after.value.memMiB, after.value.workloads], [0, 0, 0], 'stopping releases exactly once')
  assert.match(apply([workloadStatusTx(w, 'failed')])[0].error!, /already stopped/)
  assert.match(apply([nodeHeartbeatTx('ghost')])[0].error!, /not a member/)
  assert.ok(workloadOf(be, w).value.endedHeight > 0)
})

test('ids handed in by the caller (consensus already hashed each tx) give the same outcome; a count that does not match is refused', () => {
  const a = fresh()
  const b = fresh()
  const input = batches(11, 8, 25)
  input.forEach((txs, i) => {
    const ra = a.sm.applyBatch({ height: i + 1, txs, committedAt: 1 })
    const rb = b.sm.applyBatch({ height: i + 1, txs, txIds: txs.map(txId), committedAt: 1 })
    assert.deepEqual(rb.stateRoot, ra.stateRoot)
    assert.deepEqual(rb.results, ra.results)
    assert.deepEqual(rb.txIds.map(toHex), ra.txIds.map(toHex))
  })
  const txs = batches(12, 1, 3)[0]
  assert.throws(() => b.sm.applyBatch({ height: input.length + 1, txs, txIds: txs.slice(1).map(txId) }), /3 txs but 2 ids/)
})
