// The replicated state machine: applies committed batches in height order, deterministically.
//
// Every honest node feeds it the same batches and must reach the same state root, so nothing here reads
// clocks, randomness, or anything but the batch and the current state. A transaction that does not
// decode or breaks a rule is a no-op with an error result (the same on every node), never an exception.
import { createHash } from 'node:crypto'
import { equalBytes, utf8Bytes, Writer } from './bytes.ts'
import type { Result } from './bytes.ts'
import { LtHash } from './lthash.ts'
import {
  BEAT_COUNTER_KEY, decodeBeatCounter, decodeHostRecord, decodeNodeRecord, decodeWorkloadRecord, encodeBeatCounter, encodeHostRecord,
  encodeNodeRecord, encodeWorkloadRecord, TABLE, TABLE_IDS
} from './records.ts'
import type { HostRecord, NodeRecord, TableId, WorkloadRecord } from './records.ts'
import { decodeTx, TERMINAL_STATUSES, txId, workloadIdFor } from './tx.ts'
import type { Tx } from './tx.ts'
import { entryId, StateError } from './backend.ts'
import type { CommittedBatch, Head, StateBackend, StateWrite, TxResult } from './backend.ts'
import { checkSignedBundle, checkSignedTx, isSignedBundle } from './signed-tx.ts'
import type { TxAuth } from './signed-tx.ts'
import { DUPLICATE_ERROR, idKey, packReplayRows, readReplayRows, REPLAY_WINDOW, ReplayIndex, replayKey } from './replay.ts'

export interface StateMachineOptions {
  /** heights a tx id is remembered for (default REPLAY_WINDOW); a consensus parameter, small in tests */
  replayWindow?: number
  /** a host is live while fewer than this many heartbeats (from any host) committed after its latest one;
   * a genesis parameter (`placement.livenessBeats`), default DEFAULT_LIVENESS_BEATS */
  livenessBeats?: number
  /** when set, every tx must be a signed envelope (signed-tx.ts) valid at its height, checked on apply;
   * absent: bare commands, unauthenticated (the release before signed transactions) */
  auth?: TxAuth
}

/** Four heartbeat rounds of a 4-host cluster: a host that misses about four of its own beats is not live. */
export const DEFAULT_LIVENESS_BEATS = 16

export interface BatchInput {
  /** must be the backend's height + 1 */
  height: number
  /** ordered transaction bytes; empty for a null batch */
  txs: readonly Uint8Array[]
  /** consensus's id for the batch; default batchIdOf(txIds) */
  batchId?: Uint8Array
  /** txId of each tx (sha256 of its bytes), when the caller already has them: consensus hashed every
   *  transaction when it arrived, and hashing it again here cost about a tenth of apply */
  txIds?: readonly Uint8Array[]
  /** wall-clock ms to record in the log; default Date.now() (not part of the root) */
  committedAt?: number
}

export interface BatchOutcome {
  height: number
  batchId: Uint8Array
  txIds: Uint8Array[]
  /** one per transaction, in order (a bundle's: ok when every command was; else its failures named) */
  results: TxResult[]
  /** per transaction: a signed bundle's result per command, in order; null for a single command (or a
   *  bundle refused whole: its one result says why) */
  commandResults: Array<TxResult[] | null>
  stateRoot: Uint8Array
  committedAt: number
}

const BATCH_TAG = Buffer.from('novacron/state/batch/v1\0')

/** Default batch id: sha256 over the ordered tx ids (a null batch has the id of the empty list). */
export function batchIdOf (txIds: readonly Uint8Array[]): Uint8Array {
  return createHash('sha256').update(BATCH_TAG).update(Buffer.concat(txIds)).digest()
}

/** Marks a failure of the backend, which must propagate: it is not a property of the transaction. */
class BackendFailure extends Error {}

function unwrapBackendFailure<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw err instanceof BackendFailure ? err.cause : err
  }
}

interface Slot {
  table: TableId
  key: Uint8Array
  original: Uint8Array | undefined
  current: Uint8Array | undefined
}

/** The batch's pending writes over the committed state; repeated writes to a key coalesce. */
class Overlay {
  readonly slots = new Map<string, Slot>()
  private readonly backend: StateBackend

  constructor (backend: StateBackend) {
    this.backend = backend
  }

  private slot (table: TableId, key: Uint8Array): Slot {
    const id = entryId(table, key)
    let s = this.slots.get(id)
    if (s === undefined) {
      let original: Uint8Array | undefined
      try {
        original = this.backend.readState(table, key)
      } catch (err) {
        throw new BackendFailure('state read failed', { cause: err })
      }
      s = { table, key, original, current: original }
      this.slots.set(id, s)
    }
    return s
  }

  /** Reads the keys a batch will touch in one backend call (when it offers one) before applying it. */
  preload (table: TableId, keys: Uint8Array[]): void {
    if (this.backend.readMany === undefined || keys.length === 0) return
    let found: Array<[Uint8Array, Uint8Array]>
    try {
      found = this.backend.readMany(table, keys)
    } catch (err) {
      throw new BackendFailure('state read failed', { cause: err })
    }
    for (const key of keys) {
      const id = entryId(table, key)
      if (!this.slots.has(id)) this.slots.set(id, { table, key, original: undefined, current: undefined })
    }
    for (const [key, value] of found) {
      const s = this.slots.get(entryId(table, key))
      if (s !== undefined) { s.original = value; s.current = value }
    }
  }

  get (table: TableId, key: Uint8Array): Uint8Array | undefined {
    return this.slot(table, key).current
  }

  set (table: TableId, key: Uint8Array, value: Uint8Array | undefined): void {
    this.slot(table, key).current = value
  }
}

export class StateMachine {
  private readonly backend: StateBackend
  private readonly replay: ReplayIndex
  readonly livenessBeats: number
  private readonly auth: TxAuth | undefined

  constructor (backend: StateBackend, opts: StateMachineOptions = {}) {
    this.backend = backend
    this.auth = opts.auth
    this.replay = new ReplayIndex(opts.replayWindow ?? REPLAY_WINDOW)
    this.livenessBeats = opts.livenessBeats ?? DEFAULT_LIVENESS_BEATS
  }

  head (): Head {
    return this.backend.head()
  }

  /** The replay window in heights. */
  get replayWindow (): number {
    return this.replay.window
  }

  /** Whether a tx with this id would be skipped as a duplicate in the next batch (e.g. for mempool admission). */
  isDuplicate (id: Uint8Array): boolean {
    this.replay.sync(this.backend)
    return this.replay.remembers(idKey(id), this.backend.head().height + 1)
  }

  /** The height this tx id was applied at, while the replay window remembers it (else undefined). */
  appliedHeight (id: Uint8Array): number | undefined {
    this.replay.sync(this.backend)
    return this.replay.appliedAt(idKey(id))
  }

  /**
   * Applies one committed batch and persists it through the backend (for Storage: one fsynced SQL
   * transaction). Throws StateError for a wrong height and whatever the backend throws (e.g.
   * StorageFullError), in which case nothing was applied and the same batch may be retried.
   */
  applyBatch (input: BatchInput): BatchOutcome {
    const head = this.backend.head()
    if (!Number.isSafeInteger(input.height) || input.height !== head.height + 1) {
      throw new StateError(`batch height ${input.height} does not follow applied height ${head.height}`, 'ERR_STATE_HEIGHT')
    }
    const height = input.height
    this.replay.sync(this.backend)
    const overlay = new Overlay(this.backend)
    const txs = [...input.txs]
    if (input.txIds !== undefined && input.txIds.length !== txs.length) throw new StateError(`batch has ${txs.length} txs but ${input.txIds.length} ids`, 'ERR_STATE_IDS')
    const txIds = input.txIds !== undefined ? [...input.txIds] : txs.map(txId)
    // First applications (errors included) are remembered; a duplicate is not decoded, and not
    // remembered again, so skipping it changes nothing but its result.
    const admitted = this.replay.admit(txIds, height)
    const decoded = txs.map((tx, i) => admitted.duplicate[i] ? null : this.decode(tx, height))
    this.preload(decoded, txIds, overlay)
    const results: TxResult[] = []
    const commandResults: Array<TxResult[] | null> = []
    for (let i = 0; i < txs.length; i++) {
      const d = decoded[i]
      if (d === null) { results.push(DUPLICATE); commandResults.push(null); continue }
      if (!d.bundle) {
        results.push(this.applyGuarded(d.commands[0], txIds[i], height, overlay))
        commandResults.push(null)
        continue
      }
      const each = d.commands.map((c, k) => this.applyGuarded(c, commandId(txIds[i], k), height, overlay))
      results.push(bundleResult(each))
      commandResults.push(each)
    }
    const expired = this.rotateReplayRows(overlay, height, admitted.firstIds)

    const hash = new LtHash(head.vector)
    const writes: StateWrite[] = []
    for (const s of overlay.slots.values()) {
      if (s.original === s.current) continue
      // Rewriting the same bytes changes nothing; skipping saves two expansions and a row write.
      if (s.original !== undefined && s.current !== undefined && equalBytes(s.original, s.current)) continue
      if (s.original !== undefined) hash.remove(s.table, s.key, s.original)
      if (s.current !== undefined) hash.add(s.table, s.key, s.current)
      writes.push({ table: s.table, key: s.key, value: s.current ?? null })
    }
    const batch: CommittedBatch = {
      height: input.height,
      batchId: input.batchId ?? batchIdOf(txIds),
      txs,
      txIds,
      results,
      writes,
      vector: hash.bytes(),
      stateRoot: hash.root(),
      committedAt: input.committedAt ?? Date.now()
    }
    this.backend.commitBatch(batch)
    this.replay.committed(batch, expired, admitted.fresh)
    return { height: batch.height, batchId: batch.batchId, txIds, results, commandResults, stateRoot: batch.stateRoot, committedAt: batch.committedAt }
  }

  private applyGuarded (d: Result<Tx>, id: Uint8Array | (() => Uint8Array), height: number, overlay: Overlay): TxResult {
    try {
      return this.applyTx(d, id, height, overlay)
    } catch (err) {
      if (err instanceof BackendFailure) throw err.cause
      // A bug that throws does so on every node alike: keep the cluster live and the results equal.
      return { ok: false, error: `internal error: ${(err as Error)?.message ?? String(err)}` }
    }
  }

  private decode (tx: Uint8Array, height: number): Decoded {
    if (this.auth === undefined) return { bundle: false, commands: [decodeTx(tx)] }
    if (!isSignedBundle(tx)) return { bundle: false, commands: [checkSignedTx(tx, height, this.replay.window, this.auth)] }
    const b = checkSignedBundle(tx, height, this.replay.window, this.auth)
    return b.ok ? { bundle: true, commands: b.value } : { bundle: false, commands: [b] }
  }

  /** Stages the batch's replay rows and the removal of the expiring height's; returns the removed rows. */
  private rotateReplayRows (overlay: Overlay, height: number, firstIds: Uint8Array[]): Uint8Array[] {
    const old = this.replay.expiringAt(height)
    const expired = old === 0 ? [] : unwrapBackendFailure(() => readReplayRows((k) => overlay.get(TABLE.replay, k), old))
    expired.forEach((_, c) => overlay.set(TABLE.replay, replayKey(old, c), undefined))
    packReplayRows(firstIds).forEach((row, c) => overlay.set(TABLE.replay, replayKey(height, c), row))
    return expired
  }

  /** The keys each transaction will read, grouped by table, fetched in one go. */
  private preload (decoded: Array<Decoded | null>, ids: Uint8Array[], overlay: Overlay): void {
    const keys: Record<TableId, Uint8Array[]> = { [TABLE.kv]: [], [TABLE.nodes]: [], [TABLE.workloads]: [], [TABLE.replay]: [], [TABLE.hosts]: [] }
    decoded.forEach((d, i) => d?.commands.forEach((c, k) => {
      if (!c.ok) return
      const tx = c.value
      switch (tx.type) {
        case 'kv.put': case 'kv.del': keys[TABLE.kv].push(utf8Bytes(tx.key)); break
        case 'node.join': case 'node.update': keys[TABLE.nodes].push(utf8Bytes(tx.node.id)); break
        case 'node.leave': keys[TABLE.nodes].push(utf8Bytes(tx.id)); break
        case 'workload.submit': keys[TABLE.workloads].push(utf8Bytes(workloadIdFor(d.bundle ? commandId(ids[i], k)() : ids[i]))); break
        case 'workload.status': keys[TABLE.workloads].push(utf8Bytes(tx.id)); break
        case 'node.heartbeat': keys[TABLE.nodes].push(utf8Bytes(tx.id)); keys[TABLE.hosts].push(utf8Bytes(tx.id), BEAT_COUNTER_KEY); break
        case 'workload.place':
          keys[TABLE.workloads].push(utf8Bytes(tx.id)); keys[TABLE.nodes].push(utf8Bytes(tx.node))
          keys[TABLE.hosts].push(utf8Bytes(tx.node), BEAT_COUNTER_KEY)
          break
      }
    }))
    unwrapBackendFailure(() => { for (const t of TABLE_IDS) overlay.preload(t, keys[t]) })
  }

  private applyTx (decoded: Result<Tx>, id: Uint8Array | (() => Uint8Array), height: number, state: Overlay): TxResult {
    if (!decoded.ok) return { ok: false, error: decoded.error }
    const tx: Tx = decoded.value
    switch (tx.type) {
      case 'kv.put':
        state.set(TABLE.kv, utf8Bytes(tx.key), tx.value)
        return OK
      case 'kv.del': {
        const key = utf8Bytes(tx.key)
        if (state.get(TABLE.kv, key) === undefined) return fail(`key ${JSON.stringify(tx.key)} not found`)
        state.set(TABLE.kv, key, undefined)
        return OK
      }
      case 'node.join':
      case 'node.update': {
        const key = utf8Bytes(tx.node.id)
        const old = state.get(TABLE.nodes, key)
        if (tx.type === 'node.join' && old !== undefined) return fail(`node ${tx.node.id} already joined`)
        if (tx.type === 'node.update' && old === undefined) return fail(`node ${tx.node.id} is not a member`)
        let joinedHeight = height
        if (old !== undefined) {
          const prev = decodeNodeRecord(old)
          if (!prev.ok) return fail(`stored node record is corrupt: ${prev.error}`)
          joinedHeight = prev.value.joinedHeight
        }
        state.set(TABLE.nodes, key, encodeNodeRecord({ ...tx.node, joinedHeight, updatedHeight: height }))
        return OK
      }
      case 'node.leave': {
        const key = utf8Bytes(tx.id)
        if (state.get(TABLE.nodes, key) === undefined) return fail(`node ${tx.id} is not a member`)
        state.set(TABLE.nodes, key, undefined)
        return OK
      }
      case 'workload.submit': {
        const wid = workloadIdFor(typeof id === 'function' ? id() : id)
        const key = utf8Bytes(wid)
        if (state.get(TABLE.workloads, key) !== undefined) return fail(`workload ${wid} already exists`)
        state.set(TABLE.workloads, key, encodeWorkloadRecord({
          id: wid, ...tx.spec, durationS: tx.spec.durationS ?? 0, status: 'pending', reason: '', node: null,
          submittedHeight: height, updatedHeight: height, placedHeight: 0, startedHeight: 0, endedHeight: 0, placements: 0
        }))
        return OK
      }
      case 'workload.status': {
        const key = utf8Bytes(tx.id)
        const old = state.get(TABLE.workloads, key)
        if (old === undefined) return fail(`workload ${tx.id} not found`)
        const prev = decodeWorkloadRecord(old)
        if (!prev.ok) return fail(`stored workload record is corrupt: ${prev.error}`)
        const w = prev.value
        if (TERMINAL_STATUSES.includes(w.status)) return fail(`workload ${tx.id} is already ${w.status}`)
        if (tx.status === 'pending' || tx.status === 'placed') return fail(`a workload becomes ${tx.status} only by submit or place`)
        if (tx.status === 'running' && w.status !== 'placed') return fail(`workload ${tx.id} is ${w.status}, not placed: it cannot start`)
        // A start without a reason keeps the placement's (e.g. "re-placed from X").
        const next: WorkloadRecord = { ...w, status: tx.status, reason: tx.status === 'running' && tx.reason === '' ? w.reason : tx.reason, updatedHeight: height }
        if (tx.status === 'running') next.startedHeight = height
        else {
          next.endedHeight = height
          if (w.node !== null) releaseFrom(state, w.node, w)
        }
        state.set(TABLE.workloads, key, encodeWorkloadRecord(next))
        return OK
      }
      case 'noop':
        return OK
      case 'node.heartbeat': {
        const key = utf8Bytes(tx.id)
        if (state.get(TABLE.nodes, key) === undefined) return fail(`node ${tx.id} is not a member`)
        const beats = decodeBeatCounter(state.get(TABLE.hosts, BEAT_COUNTER_KEY)) + 1
        state.set(TABLE.hosts, BEAT_COUNTER_KEY, encodeBeatCounter(beats))
        state.set(TABLE.hosts, key, encodeHostRecord({ ...readHost(state, tx.id), lastBeat: beats }))
        return OK
      }
      case 'workload.place':
        return this.place(tx.id, tx.node, height, state)
    }
  }

  /** Feasibility in integer arithmetic over the replicated state, so every replica decides alike. */
  private place (id: string, nodeId: string, height: number, state: Overlay): TxResult {
    const wkey = utf8Bytes(id)
    const raw = state.get(TABLE.workloads, wkey)
    if (raw === undefined) return fail(`workload ${id} not found`)
    const dec = decodeWorkloadRecord(raw)
    if (!dec.ok) return fail(`stored workload record is corrupt: ${dec.error}`)
    const w = dec.value
    const beats = decodeBeatCounter(state.get(TABLE.hosts, BEAT_COUNTER_KEY))
    const replacing = (w.status === 'placed' || w.status === 'running') && w.node !== null
    if (w.status !== 'pending' && !replacing) return fail(`workload ${id} is ${w.status}, not pending`)
    if (replacing && isLive(state, w.node!, beats, this.livenessBeats)) return fail(`workload ${id} is ${w.status} on live node ${w.node!}`)
    const nodeRaw = state.get(TABLE.nodes, utf8Bytes(nodeId))
    if (nodeRaw === undefined) return fail(`node ${nodeId} is not a member`)
    const node = decodeNodeRecord(nodeRaw)
    if (!node.ok) return fail(`stored node record is corrupt: ${node.error}`)
    if (!isLive(state, nodeId, beats, this.livenessBeats)) return fail(`node ${nodeId} is not live`)
    const short = shortfall(node.value, readHost(state, nodeId), w)
    if (short !== null) return fail(`workload ${id} does not fit on node ${nodeId}: ${short}`)
    if (replacing) releaseFrom(state, w.node!, w)
    const h = readHost(state, nodeId)
    state.set(TABLE.hosts, utf8Bytes(nodeId), encodeHostRecord({
      ...h, cpu: h.cpu + w.cpu, memMiB: h.memMiB + w.memMiB, diskGiB: h.diskGiB + w.diskGiB, workloads: h.workloads + 1
    }))
    state.set(TABLE.workloads, wkey, encodeWorkloadRecord({
      ...w, status: 'placed', node: nodeId, reason: replacing ? `re-placed from ${w.node!}` : '', updatedHeight: height, placedHeight: height, startedHeight: 0, placements: w.placements + 1
    }))
    return OK
  }
}

const NO_HOST: HostRecord = { lastBeat: 0, cpu: 0, memMiB: 0, diskGiB: 0, workloads: 0 }

function readHost (state: Overlay, id: string): HostRecord {
  const raw = state.get(TABLE.hosts, utf8Bytes(id))
  if (raw === undefined) return NO_HOST
  const h = decodeHostRecord(raw)
  if (!h.ok) throw new Error(`stored host record is corrupt: ${h.error}`)
  return h.value
}

/** Live: a member that sent a heartbeat, and fewer than `window` heartbeats committed since. */
export function liveAt (lastBeat: number, beats: number, window: number): boolean {
  return lastBeat > 0 && beats - lastBeat < window
}

function isLive (state: Overlay, id: string, beats: number, window: number): boolean {
  return state.get(TABLE.nodes, utf8Bytes(id)) !== undefined && liveAt(readHost(state, id).lastBeat, beats, window)
}

/** Why `w` does not fit next to what `host` already holds on `node`, or null when it fits. */
export function shortfall (node: Pick<NodeRecord, 'cpu' | 'memMiB' | 'diskGiB'>, host: Pick<HostRecord, 'cpu' | 'memMiB' | 'diskGiB'>, w: Pick<WorkloadRecord, 'cpu' | 'memMiB' | 'diskGiB'>): string | null {
  if (host.cpu + w.cpu > node.cpu) return `cpu ${host.cpu} + ${w.cpu} > ${node.cpu}`
  if (host.memMiB + w.memMiB > node.memMiB) return `memMiB ${host.memMiB} + ${w.memMiB} > ${node.memMiB}`
  if (host.diskGiB + w.diskGiB > node.diskGiB) return `diskGiB ${host.diskGiB} + ${w.diskGiB} > ${node.diskGiB}`
  return null
}

function releaseFrom (state: Overlay, nodeId: string, w: WorkloadRecord): void {
  const h = readHost(state, nodeId)
  state.set(TABLE.hosts, utf8Bytes(nodeId), encodeHostRecord({
    ...h, cpu: h.cpu - w.cpu, memMiB: h.memMiB - w.memMiB, diskGiB: h.diskGiB - w.diskGiB, workloads: h.workloads - 1
  }))
}

/** A transaction's commands: one for a single signed tx (or a bare one), several for a signed bundle. */
interface Decoded { bundle: boolean, commands: Array<Result<Tx>> }

const COMMAND_ID_TAG = Buffer.from('novacron/state/bundle-command/v1\0')

/** The id of command `index` of the bundle `bundleId`, for what names itself by its id (a workload):
 *  derived only when asked, so a bundle of kv writes hashes nothing more. */
export function commandId (bundleId: Uint8Array, index: number): () => Uint8Array {
  return () => createHash('sha256').update(COMMAND_ID_TAG).update(bundleId).update(new Writer(4).u32(index).finish()).digest()
}

/** A bundle's one logged result: ok when every command was, else how many failed and the first reasons
 *  (the log keeps one result per transaction; receipts carry each command's). */
function bundleResult (each: readonly TxResult[]): TxResult {
  const failed: string[] = []
  each.forEach((r, k) => { if (!r.ok) failed.push(`command ${k}: ${r.error}`) })
  if (failed.length === 0) return OK
  const shown = failed.slice(0, 4).join('; ')
  return { ok: false, error: `${failed.length} of ${each.length} commands failed: ${shown}${failed.length > 4 ? '; ...' : ''}` }
}

const OK: TxResult = { ok: true }
const DUPLICATE: TxResult = { ok: false, error: DUPLICATE_ERROR }

function fail (error: string): TxResult {
  return { ok: false, error }
}
