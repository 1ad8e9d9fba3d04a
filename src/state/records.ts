// The values stored in the state tables, with their own version byte: they are hashed into the state root
// and shipped in snapshots, so their bytes are consensus-critical just like transactions.
import { decodeWith, DecodeError, Writer } from './bytes.ts'
import type { Result } from './bytes.ts'
import { MAX_KEY_BYTES, MAX_NAME_BYTES } from './limits.ts'
import { readNodeInfo, WORKLOAD_STATUSES, writeNodeInfo } from './tx.ts'
import type { NodeInfo, WorkloadStatus } from './tx.ts'

export const RECORD_VERSION = 1
/** Version 2 added the duration, the placement heights and the placement count; version 1 still decodes. */
export const WORKLOAD_RECORD_VERSION = 2
export const HOST_RECORD_VERSION = 1

/** Namespaces of the state; the byte is part of every entry's hash, so codes are append only.
 * `replay` holds the tx ids of the replay window (see replay.ts); `hosts` each node's liveness and the
 * resources placed on it, plus (under the empty key) the cluster's heartbeat counter. */
export const TABLE = { kv: 1, nodes: 2, workloads: 3, replay: 4, hosts: 5 } as const
export type TableId = typeof TABLE[keyof typeof TABLE]
export const TABLE_IDS: readonly TableId[] = [TABLE.kv, TABLE.nodes, TABLE.workloads, TABLE.replay, TABLE.hosts]

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
  /** seconds it runs once started; 0 = until stopped */
  durationS: number
  /** heights of the last placement, of the start and of the end (0 = not yet) */
  placedHeight: number
  startedHeight: number
  endedHeight: number
  /** how many times it was placed (more than 1: re-placed after its host failed) */
  placements: number
}

/** Liveness and load of one host; `lastBeat` is the cluster heartbeat counter at its latest heartbeat. */
export interface HostRecord {
  lastBeat: number
  cpu: number
  memMiB: number
  diskGiB: number
  workloads: number
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
  return new Writer().u8(WORKLOAD_RECORD_VERSION)
    .str16(w.id).str16(w.name).u32(w.cpu).u32(w.memMiB).u32(w.diskGiB)
    .u8(WORKLOAD_STATUSES.indexOf(w.status)).str16(w.reason)
    .u8(w.node === null ? 0 : 1).str16(w.node ?? '')
    .u64(w.submittedHeight).u64(w.updatedHeight)
    .u32(w.durationS).u64(w.placedHeight).u64(w.startedHeight).u64(w.endedHeight).u32(w.placements)
    .finish()
}

export function decodeWorkloadRecord (b: Uint8Array): Result<WorkloadRecord> {
  return decodeWith(b, (r) => {
    const v = r.u8('record version')
    if (v !== 1 && v !== WORKLOAD_RECORD_VERSION) throw new DecodeError(`unsupported workload record version ${v}`)
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
      submittedHeight: r.u64('submittedHeight'), updatedHeight: r.u64('updatedHeight'),
      durationS: 0, placedHeight: 0, startedHeight: 0, endedHeight: 0, placements: 0
    }
    if (v === WORKLOAD_RECORD_VERSION) {
      rec.durationS = r.u32('durationS')
      rec.placedHeight = r.u64('placedHeight')
      rec.startedHeight = r.u64('startedHeight')
      rec.endedHeight = r.u64('endedHeight')
      rec.placements = r.u32('placements')
    }
    r.end('workload record')
    return rec
  })
}

export function encodeHostRecord (h: HostRecord): Uint8Array {
  return new Writer().u8(HOST_RECORD_VERSION).u64(h.lastBeat).u64(h.cpu).u64(h.memMiB).u64(h.diskGiB).u32(h.workloads).finish()
}

export function decodeHostRecord (b: Uint8Array): Result<HostRecord> {
  return decodeWith(b, (r) => {
    const v = r.u8('record version')
    if (v !== HOST_RECORD_VERSION) throw new DecodeError(`unsupported host record version ${v}`)
    const rec = { lastBeat: r.u64('lastBeat'), cpu: r.u64('cpu'), memMiB: r.u64('memMiB'), diskGiB: r.u64('diskGiB'), workloads: r.u32('workloads') }
    r.end('host record')
    return rec
  })
}

/** The key of the cluster's heartbeat counter in TABLE.hosts (no node id is empty). */
export const BEAT_COUNTER_KEY = new Uint8Array(0)

export function encodeBeatCounter (n: number): Uint8Array {
  return new Writer().u8(HOST_RECORD_VERSION).u64(n).finish()
}

export function decodeBeatCounter (b: Uint8Array | undefined): number {
  if (b === undefined) return 0
  const res = decodeWith(b, (r) => { r.u8('record version'); const n = r.u64('beats'); r.end('beat counter'); return n })
  return res.ok ? res.value : 0
}
