// The values stored in the state tables, with their own version byte: they are hashed into the state root
// and shipped in snapshots, so their bytes are consensus-critical just like transactions.
import { decodeWith, DecodeError, Writer } from './bytes.ts'
import type { Result } from './bytes.ts'
import { MAX_KEY_BYTES, MAX_NAME_BYTES } from './limits.ts'
import { readNodeInfo, WORKLOAD_STATUSES, writeNodeInfo } from './tx.ts'
import type { NodeInfo, WorkloadStatus } from './tx.ts'

export const RECORD_VERSION = 1

/** Namespaces of the state; the byte is part of every entry's hash, so codes are append only.
 * `replay` holds the tx ids of the replay window (see replay.ts). */
export const TABLE = { kv: 1, nodes: 2, workloads: 3, replay: 4 } as const
export type TableId = typeof TABLE[keyof typeof TABLE]
export const TABLE_IDS: readonly TableId[] = [TABLE.kv, TABLE.nodes, TABLE.workloads, TABLE.replay]

export interface NodeRecord extends NodeInfo {
  joinedHeight: number
  updatedHeight: number
}

export interface WorkloadRecord {
  id: string
  name: string
  cpu: number
  memMiB: number
  diskGiB: number
  status: WorkloadStatus
  reason: string
  /** peer id of the node it is placed on; null until placement exists */
  node: string | null
  submittedHeight: number
  updatedHeight: number
}

export function encodeNodeRecord (n: NodeRecord): Uint8Array {
  const w = new Writer().u8(RECORD_VERSION)
  writeNodeInfo(w, n)
  return w.u64(n.joinedHeight).u64(n.updatedHeight).finish()
}

export function decodeNodeRecord (b: Uint8Array): Result<NodeRecord> {
  return decodeWith(b, (r) => {
    const v = r.u8('record version')
    if (v !== RECORD_VERSION) throw new DecodeError(`unsupported node record version ${v}`)
    const info = readNodeInfo(r)
    const rec = { ...info, joinedHeight: r.u64('joinedHeight'), updatedHeight: r.u64('updatedHeight') }
    r.end('node record')
    return rec
  })
}

export function encodeWorkloadRecord (w: WorkloadRecord): Uint8Array {
  return new Writer().u8(RECORD_VERSION)
    .str16(w.id).str16(w.name).u32(w.cpu).u32(w.memMiB).u32(w.diskGiB)
    .u8(WORKLOAD_STATUSES.indexOf(w.status)).str16(w.reason)
    .u8(w.node === null ? 0 : 1).str16(w.node ?? '')
    .u64(w.submittedHeight).u64(w.updatedHeight)
    .finish()
}

export function decodeWorkloadRecord (b: Uint8Array): Result<WorkloadRecord> {
  return decodeWith(b, (r) => {
    const v = r.u8('record version')
    if (v !== RECORD_VERSION) throw new DecodeError(`unsupported workload record version ${v}`)
    const id = r.str16(MAX_KEY_BYTES, 'workload id')
    const name = r.str16(MAX_NAME_BYTES, 'workload name')
    const cpu = r.u32('cpu')
    const memMiB = r.u32('memMiB')
    const diskGiB = r.u32('diskGiB')
    const status = WORKLOAD_STATUSES[r.u8('status')]
    if (status === undefined) throw new DecodeError('unknown workload status')
    const reason = r.str16(MAX_NAME_BYTES, 'reason')
    const placed = r.u8('placement flag') === 1
    const nodeId = r.str16(MAX_KEY_BYTES, 'placement node')
    const rec: WorkloadRecord = {
      id, name, cpu, memMiB, diskGiB, status, reason, node: placed ? nodeId : null,
      submittedHeight: r.u64('submittedHeight'), updatedHeight: r.u64('updatedHeight')
    }
    r.end('workload record')
    return rec
  })
}
