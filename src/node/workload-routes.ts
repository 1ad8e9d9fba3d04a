// The admin API for workloads and the host registry: submit and stop go through consensus like a kv put;
// list and show read this node's committed state. Heights are the record's times; the ISO times beside
// them are when this node committed those heights (its own log), for people.
import { ApiError, type AdminApi } from '../api/server.ts'
import { workloadStatusTx, workloadSubmitTx, WORKLOAD_STATUSES, type Storage, type WorkloadRecord, type WorkloadStatus } from '../state/index.ts'
import type { ConsensusHost } from './consensus-host.ts'
import { admit, encode, field, timeoutOf, waitFor } from './client-routes.ts'
import { hostViews, type WorkloadAgent } from './workload-agent.ts'

export interface WorkloadJson {
  id: string
  name: string
  cpu: number
  memMiB: number
  diskGiB: number
  durationS: number
  state: WorkloadStatus
  reason: string
  host: string | null
  placements: number
  submittedHeight: number
  placedHeight: number | null
  startedHeight: number | null
  endedHeight: number | null
  submittedAt: string | null
  placedAt: string | null
  startedAt: string | null
  endedAt: string | null
}

export function workloadJson (w: WorkloadRecord, storage: Storage): WorkloadJson {
  const at = (h: number): string | null => {
    if (h <= 0) return null
    const b = storage.getBatch(h)
    return b == null ? null : new Date(b.committedAt).toISOString()
  }
  const height = (h: number): number | null => h > 0 ? h : null
  return {
    id: w.id, name: w.name, cpu: w.cpu, memMiB: w.memMiB, diskGiB: w.diskGiB, durationS: w.durationS, state: w.status, reason: w.reason,
    host: w.node, placements: w.placements, submittedHeight: w.submittedHeight, placedHeight: height(w.placedHeight),
    startedHeight: height(w.startedHeight), endedHeight: height(w.endedHeight),
    submittedAt: at(w.submittedHeight), placedAt: at(w.placedHeight), startedAt: at(w.startedHeight), endedAt: at(w.endedHeight)
  }
}

function intField (body: unknown, name: string, required: boolean): number {
  const v = field(body, name)
  if (v === undefined && !required) return 0
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffff_ffff) throw new ApiError(400, 'bad_request', `"${name}" must be an integer from 0 to 4294967295`)
  return v as number
}

export function registerWorkloadRoutes (api: AdminApi, { consensus, storage, agent }: { consensus: ConsensusHost, storage: Storage, agent: WorkloadAgent }): void {
  const livenessBeats = agent.livenessBeats
  api.route('GET', '/v1/placement', () => ({ json: { ...agent.stats(), livenessBeats, height: storage.head().height } }))
  api.route('POST', '/v1/workloads', async req => {
    const nameRaw = field(req.body, 'name')
    if (nameRaw !== undefined && typeof nameRaw !== 'string') throw new ApiError(400, 'bad_request', '"name" must be a string')
    const spec = { name: nameRaw ?? '', cpu: intField(req.body, 'cpu', true), memMiB: intField(req.body, 'memMiB', true), diskGiB: intField(req.body, 'diskGiB', false), durationS: intField(req.body, 'durationS', false) }
    if (spec.cpu === 0 && spec.memMiB === 0) throw new ApiError(400, 'bad_request', 'a workload needs some cpu or memory')
    const [pending] = admit(consensus, [encode(() => workloadSubmitTx(spec, { nonce: 'random' }))])
    const id = pending.txId.slice(0, 32)
    if (field(req.body, 'wait') === false) return { json: { id, txId: pending.txId, submitted: true } }
    const r = await waitFor(consensus, pending, timeoutOf(req.body), req.signal)
    if (!r.ok) throw new ApiError(409, 'tx_failed', `transaction applied with an error: ${r.error}`)
    const w = storage.getWorkload(id)
    return { json: { ...(w == null ? { id } : workloadJson(w, storage)), txId: r.txId, height: r.height } }
  })

  api.route('GET', '/v1/workloads', req => {
    const host = req.query.get('host')
    const state = req.query.get('state')
    if (state != null && !WORKLOAD_STATUSES.includes(state as WorkloadStatus)) throw new ApiError(400, 'bad_request', `"state" must be one of ${WORKLOAD_STATUSES.join(', ')}`)
    const all = storage.listWorkloads().filter(w => (host == null || w.node === host || (w.node?.endsWith(host) ?? false)) && (state == null || w.status === state))
    all.sort((a, b) => a.submittedHeight - b.submittedHeight || (a.id < b.id ? -1 : 1))
    return { json: { workloads: all.map(w => workloadJson(w, storage)), height: storage.head().height } }
  })

  api.route('GET', '/v1/workload', req => {
    const id = req.query.get('id')
    if (id == null || id === '') throw new ApiError(400, 'bad_request', 'query parameter "id" is required')
    const w = storage.getWorkload(id)
    if (w == null) throw new ApiError(404, 'not_found', `no workload ${id}`)
    return { json: workloadJson(w, storage) }
  })

  api.route('POST', '/v1/workload/stop', async req => {
    const id = field(req.body, 'id')
    if (typeof id !== 'string' || id === '') throw new ApiError(400, 'bad_request', '"id" must be a workload id')
    if (storage.getWorkload(id) == null) throw new ApiError(404, 'not_found', `no workload ${id}`)
    const [pending] = admit(consensus, [encode(() => workloadStatusTx(id, 'stopped', 'stopped by operator', { nonce: 'random' }))])
    const r = await waitFor(consensus, pending, timeoutOf(req.body), req.signal)
    if (!r.ok) throw new ApiError(409, 'tx_failed', `transaction applied with an error: ${r.error}`)
    return { json: { ...workloadJson(storage.getWorkload(id)!, storage), txId: r.txId, height: r.height } }
  })

  api.route('GET', '/v1/hosts', () => ({ json: { hosts: hostViews(storage, livenessBeats), height: storage.head().height } }))
}
