// Property: whatever sequence of joins, heartbeats, submits, placements (feasible or not), starts, stops,
// completions and leaves the replicated state applies, every host's recorded load equals the sum of the
// workloads that hold it, never exceeds its capacity, and a workload releases its host exactly once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { decodeHostRecord, decodeNodeRecord, decodeWorkloadRecord, TABLE } from '../../../src/state/records.ts'
import { nodeHeartbeatTx, nodeJoinTx, nodeLeaveTx, txId, workloadIdFor, workloadPlaceTx, workloadStatusTx, workloadSubmitTx } from '../../../src/state/tx.ts'
import { utf8Bytes } from '../../../src/state/bytes.ts'

const NODES = ['a', 'b', 'c']
const opArb = fc.oneof(
  fc.record({ k: fc.constant('join' as const), n: fc.integer({ min: 0, max: 2 }), cpu: fc.integer({ min: 0, max: 8 }), mem: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ k: fc.constant('beat' as const), n: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ k: fc.constant('leave' as const), n: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ k: fc.constant('submit' as const), cpu: fc.integer({ min: 0, max: 5 }), mem: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ k: fc.constant('place' as const), w: fc.nat(), n: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ k: fc.constant('status' as const), w: fc.nat(), s: fc.constantFrom('running', 'completed', 'failed', 'stopped', 'placed', 'pending') })
)

test('property: host load = sum of the workloads holding it, within capacity; each release happens once', () => {
  fc.assert(fc.property(fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 40 }), (batches) => {
    const be = new MemoryBackend()
    const sm = new StateMachine(be, { livenessBeats: 3 })
    const workloads: string[] = []
    const joins = new Map<string, number>()
    let nonce = 0
    const n = (): { nonce: Uint8Array } => ({ nonce: new Uint8Array([nonce >> 8, nonce++ & 255]) })
    batches.forEach((ops, h) => {
      const txs = ops.map((op) => {
        switch (op.k) {
          case 'join': return nodeJoinTx({ id: NODES[op.n], cpu: op.cpu, memMiB: op.mem, diskGiB: 1, addresses: [], labels: {} }, n())
          case 'beat': return nodeHeartbeatTx(NODES[op.n], n())
          case 'leave': return nodeLeaveTx(NODES[op.n], n())
          case 'submit': {
            const tx = workloadSubmitTx({ name: '', cpu: op.cpu, memMiB: op.mem, diskGiB: 0 }, n())
            workloads.push(workloadIdFor(txId(tx)))
            return tx
          }
          case 'place': return workloadPlaceTx(workloads[op.w % Math.max(1, workloads.length)] ?? 'none', NODES[op.n], n())
          case 'status': return workloadStatusTx(workloads[op.w % Math.max(1, workloads.length)] ?? 'none', op.s as 'running', '', n())
        }
        throw new Error('unreachable')
      })
      const out = sm.applyBatch({ height: h + 1, txs })
      ops.forEach((op, i) => { if (op.k === 'join' && out.results[i].ok) joins.set(NODES[op.n], (joins.get(NODES[op.n]) ?? 0) + 1) })
      const held = new Map<string, { cpu: number, mem: number, count: number }>()
      for (const id of new Set(workloads)) {
        const raw = be.readState(TABLE.workloads, utf8Bytes(id))
        if (raw === undefined) continue
        const w = decodeWorkloadRecord(raw)
        assert.ok(w.ok)
        if ((w.value.status === 'placed' || w.value.status === 'running') && w.value.node !== null) {
          const x = held.get(w.value.node) ?? { cpu: 0, mem: 0, count: 0 }
          held.set(w.value.node, { cpu: x.cpu + w.value.cpu, mem: x.mem + w.value.memMiB, count: x.count + 1 })
        }
      }
      for (const id of NODES) {
        const raw = be.readState(TABLE.hosts, utf8Bytes(id))
        const host = raw === undefined ? { cpu: 0, memMiB: 0, workloads: 0 } : decodeHostRecord(raw)
        const rec = 'ok' in host ? (assert.ok(host.ok), host.value) : host
        const x = held.get(id) ?? { cpu: 0, mem: 0, count: 0 }
        assert.deepEqual([rec.cpu, rec.memMiB, rec.workloads], [x.cpu, x.mem, x.count], `host ${id} at height ${h + 1}`)
        const nodeRaw = be.readState(TABLE.nodes, utf8Bytes(id))
        if (nodeRaw !== undefined && x.count > 0 && joins.get(id) === 1) {
          const node = decodeNodeRecord(nodeRaw)
          assert.ok(node.ok)
          // only a re-join with less capacity (while old workloads still name the node) can exceed it;
          // placements never do
          assert.ok(rec.cpu <= node.value.cpu && rec.memMiB <= node.value.memMiB, `host ${id} over capacity`)
        }
      }
    })
  }), { numRuns: 150 })
})
