// A node's durable state: the StateBackend behind its StateMachine (state tables + committed log, written
// together in one transaction per batch, made durable by the next consensus WAL fsync in the same file
// (db.ts stateSync); a batch's transactions are stored once, by its digest,
// and the log row holds only ids and results), the read side the admin API serves, checkpoints and
// snapshots for state transfer, and the consensus WAL.
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { utf8Bytes } from '../bytes.ts'
import type { Result } from '../bytes.ts'
import { MAX_KEY_BYTES, MAX_LIST_LIMIT } from '../limits.ts'
import { BEAT_COUNTER_KEY, decodeBeatCounter, decodeHostRecord, decodeNodeRecord, decodeWorkloadRecord, TABLE } from '../records.ts'
import type { HostRecord, NodeRecord, TableId, WorkloadRecord } from '../records.ts'
import { encodeSnapshot, exportSnapshot, installSnapshot, SnapshotEncoder } from '../snapshot.ts'
import type { SnapshotExpectation, SnapshotInfo } from '../snapshot.ts'
import { StateError } from '../backend.ts'
import type { CommittedBatch, Head, StateBackend, StateEntry, TxResult } from '../backend.ts'
import { Db } from './db.ts'
import type { DbOptions, DurabilitySettings } from './db.ts'
import { packErrors, packIds, unpackIds, unpackResults } from './log-codec.ts'
import { ConsensusWal } from './wal.ts'
import { BodyStore } from './bodies.ts'
import { LtHash } from '../lthash.ts'
import { encodeTransfer } from '../transfer.ts'
import type { TransferBatch } from '../transfer.ts'

export type StorageOptions = DbOptions

/** One committed batch as `log tail` shows it. */
export interface LogEntry {
  height: number
  batchId: Uint8Array
  txIds: Uint8Array[]
  stateRoot: Uint8Array
  committedAt: number
}

export interface LoggedBatch extends LogEntry {
  txs: Uint8Array[]
  results: TxResult[]
}

export interface KvEntry {
  key: string
  value: Uint8Array
}

export interface Checkpoint {
  height: number
  stateRoot: Uint8Array
  /** consensus's proof that the root is stable (e.g. 2f+1 signed checkpoint messages); opaque here */
  proof: Uint8Array
  createdAt: number
}

export interface StorageHealth {
  writable: boolean
  /** why not, for the node's status and logs */
  reason: string | null
}

interface LogRow { height: number, batch_id: Uint8Array, tx_ids: Uint8Array, state_root: Uint8Array, committed_at: number }

/** Keys per bulk read: one SQL call instead of one per key (0.1-2 µs a key instead of 2.5-4.5). */
const READ_CHUNK = 128

/** Sorts after every valid key (keys are at most MAX_KEY_BYTES), so it bounds "all keys" from above. */
const AFTER_ALL_KEYS = new Uint8Array(MAX_KEY_BYTES + 1).fill(0xff)

/** The smallest byte string greater than every string that starts with `prefix`. */
function prefixEnd (prefix: Uint8Array): Uint8Array {
  let n = prefix.length
  while (n > 0 && prefix[n - 1] === 0xff) n--
  if (n === 0) return AFTER_ALL_KEYS
  const end = prefix.slice(0, n)
  end[n - 1]++
  return end
}

/** Page sizes from callers (the API passes user input through): an integer in 1..MAX_LIST_LIMIT. */
function clampLimit (limit: number | undefined): number {
  return Number.isFinite(limit) ? Math.max(1, Math.min(Math.trunc(limit as number), MAX_LIST_LIMIT)) : 1000
}

function logEntry (r: LogRow): LogEntry {
  return { height: Number(r.height), batchId: r.batch_id, txIds: unpackIds(r.tx_ids), stateRoot: r.state_root, committedAt: Number(r.committed_at) }
}

function decoded<T> (r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`corrupt ${what} in storage: ${r.error}`)
  return r.value
}

export class Storage implements StateBackend {
  readonly db: Db
  /** the consensus WAL in the same database */
  readonly wal: ConsensusWal
  private current: Head
  private readonly readChunk: StatementSync
  private readonly q: Record<'get' | 'put' | 'del' | 'logIns' | 'headUpd' | 'kvFrom' | 'kvAfter' | 'logRange', StatementSync>
  private readonly bodies: BodyStore

  private constructor (db: Db) {
    this.db = db
    this.bodies = new BodyStore(db)
    this.wal = new ConsensusWal(db, this.bodies)
    const p = (s: string): StatementSync => db.sql.prepare(s)
    this.q = {
      get: p('SELECT value FROM state WHERE tbl = ? AND key = ?'),
      put: p('INSERT INTO state (tbl, key, value) VALUES (?, ?, ?) ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value'),
      del: p('DELETE FROM state WHERE tbl = ? AND key = ?'),
      logIns: p('INSERT INTO log (height, batch_id, tx_ids, errors, state_root, committed_at) VALUES (?, ?, ?, ?, ?, ?)'),
      headUpd: p('UPDATE head SET height = ?, state_root = ?, vector = ? WHERE id = 1'),
      kvFrom: p('SELECT key, value FROM state WHERE tbl = 1 AND key >= ? AND key < ? ORDER BY key LIMIT ?'),
      kvAfter: p('SELECT key, value FROM state WHERE tbl = 1 AND key > ? AND key < ? ORDER BY key LIMIT ?'),
      logRange: p('SELECT height, batch_id, tx_ids, state_root, committed_at FROM log WHERE height >= ? ORDER BY height LIMIT ?')
    }
    this.readChunk = p(`SELECT key, value FROM state WHERE tbl = ? AND key IN (${Array(READ_CHUNK).fill('?').join(', ')})`)
    const h = db.sql.prepare('SELECT height, state_root, vector FROM head WHERE id = 1').get() as { height: number, state_root: Uint8Array, vector: Uint8Array }
    this.current = { height: Number(h.height), stateRoot: h.state_root, vector: h.vector }
  }

  /**
   * Opens (creating if needed) the database at opts.path in WAL mode with synchronous=FULL (state
   * commits alone at NORMAL unless opts.stateSync is 'full'). Throws
   * SchemaVersionError for a database written by a newer major version.
   */
  static open (opts: StorageOptions): Storage {
    return new Storage(new Db(opts))
  }

  close (): void {
    this.db.close()
  }

  durabilitySettings (): DurabilitySettings {
    return this.db.durabilitySettings()
  }

  schemaVersion (): string {
    return this.db.schemaVersion()
  }

  /** Not writable after a full disk or I/O error: the node must stop voting (reads still work). */
  health (): StorageHealth {
    const reason = this.db.readOnlyReason
    return { writable: reason === null, reason }
  }

  // ---- StateBackend ----

  head (): Head {
    return this.current
  }

  readState (table: TableId, key: Uint8Array): Uint8Array | undefined {
    return (this.q.get.get(table, key) as { value: Uint8Array } | undefined)?.value
  }

  readMany (table: TableId, keys: readonly Uint8Array[]): Array<[Uint8Array, Uint8Array]> {
    const found: Array<[Uint8Array, Uint8Array]> = []
    for (let at = 0; at < keys.length; at += READ_CHUNK) {
      const chunk = keys.slice(at, at + READ_CHUNK)
      // one statement shape: pad a short chunk with a key it already has
      while (chunk.length < READ_CHUNK) chunk.push(chunk[0])
      for (const r of this.readChunk.all(table, ...chunk) as Array<{ key: Uint8Array, value: Uint8Array }>) found.push([r.key, r.value])
    }
    return found
  }

  commitBatch (b: CommittedBatch): void {
    if (b.height !== this.current.height + 1) throw new StateError(`batch height ${b.height} does not follow stored height ${this.current.height}`, 'ERR_STATE_HEIGHT')
    this.db.write(`commit batch ${b.height}`, () => {
      for (const w of b.writes) {
        if (w.value === null) this.q.del.run(w.table, w.key)
        else this.q.put.run(w.table, w.key, w.value)
      }
      // a second reference to a stored body (the consensus WAL's) only counts if the bodies agree
      if (!this.bodies.ref(b.batchId, b.txs)) throw new StateError(`batch ${b.height} has the id of a different stored batch`, 'ERR_STATE_BATCH_ID')
      this.q.logIns.run(b.height, b.batchId, packIds(b.txIds), packErrors(b.results), b.stateRoot, b.committedAt)
      this.q.headUpd.run(b.height, b.stateRoot, b.vector)
    }, false)
    this.current = { height: b.height, stateRoot: b.stateRoot, vector: b.vector }
  }

  entries (): Iterable<StateEntry> {
    const it = this.db.sql.prepare('SELECT tbl, key, value FROM state ORDER BY tbl, key').iterate() as Iterable<{ tbl: number, key: Uint8Array, value: Uint8Array }>
    return (function * () {
      for (const r of it) yield { table: Number(r.tbl) as TableId, key: r.key, value: r.value }
    })()
  }

  replaceState (head: Head, entries: readonly StateEntry[]): void {
    this.db.write(`install snapshot at height ${head.height}`, () => {
      this.db.sql.exec('DELETE FROM state')
      for (const e of entries) this.q.put.run(e.table, e.key, e.value)
      this.db.sql.prepare('UPDATE head SET height = ?, state_root = ?, vector = ?, base_height = ? WHERE id = 1').run(head.height, head.stateRoot, head.vector, head.height)
    })
    this.current = head
  }

  // ---- reads for the API ----

  /** This node's committed value (null if absent) and the height it was read at. */
  kvGet (key: string): { key: string, value: Uint8Array | null, height: number } {
    return { key, value: this.readState(TABLE.kv, utf8Bytes(key)) ?? null, height: this.current.height }
  }

  /** Keys in byte order; page with `after` = the last key of the previous page. */
  kvList (opts: { prefix?: string, after?: string, limit?: number } = {}): { entries: KvEntry[], height: number } {
    const prefix = utf8Bytes(opts.prefix ?? '')
    const limit = clampLimit(opts.limit)
    const end = prefixEnd(prefix)
    const after = opts.after === undefined ? undefined : utf8Bytes(opts.after)
    const rows = (after !== undefined && Buffer.compare(after, prefix) >= 0
      ? this.q.kvAfter.all(after, end, limit)
      : this.q.kvFrom.all(prefix, end, limit)) as Array<{ key: Uint8Array, value: Uint8Array }>
    return { entries: rows.map((r) => ({ key: Buffer.from(r.key).toString('utf8'), value: r.value })), height: this.current.height }
  }

  getNode (id: string): NodeRecord | null {
    const v = this.readState(TABLE.nodes, utf8Bytes(id))
    return v === undefined ? null : decoded(decodeNodeRecord(v), 'node record')
  }

  listNodes (): NodeRecord[] {
    return this.tableValues(TABLE.nodes).map((v) => decoded(decodeNodeRecord(v), 'node record'))
  }

  getWorkload (id: string): WorkloadRecord | null {
    const v = this.readState(TABLE.workloads, utf8Bytes(id))
    return v === undefined ? null : decoded(decodeWorkloadRecord(v), 'workload record')
  }

  listWorkloads (): WorkloadRecord[] {
    return this.tableValues(TABLE.workloads).map((v) => decoded(decodeWorkloadRecord(v), 'workload record'))
  }

  /** Every member with its liveness record and placed load, and the cluster heartbeat counter. */
  listHosts (): { beats: number, hosts: Array<{ node: NodeRecord, host: HostRecord }>, height: number } {
    const beats = decodeBeatCounter(this.readState(TABLE.hosts, BEAT_COUNTER_KEY))
    const hosts = this.listNodes().map((node) => {
      const raw = this.readState(TABLE.hosts, utf8Bytes(node.id))
      const host = raw === undefined ? { lastBeat: 0, cpu: 0, memMiB: 0, diskGiB: 0, workloads: 0 } : decoded(decodeHostRecord(raw), 'host record')
      return { node, host }
    })
    return { beats, hosts, height: this.current.height }
  }

  private tableValues (table: TableId): Uint8Array[] {
    return (this.db.sql.prepare('SELECT value FROM state WHERE tbl = ? ORDER BY key').all(table) as Array<{ value: Uint8Array }>).map((r) => r.value)
  }

  /** Committed batches from height `from` on, oldest first (`log tail --from H`). */
  logRange (from: number, limit = 1000): LogEntry[] {
    return (this.q.logRange.all(Number.isSafeInteger(from) ? from : 0, clampLimit(limit)) as unknown as LogRow[]).map(logEntry)
  }

  /** One batch with its transactions and results; null if never committed here or pruned. */
  getBatch (height: number): LoggedBatch | null {
    const r = this.db.sql.prepare('SELECT height, batch_id, tx_ids, errors, state_root, committed_at FROM log WHERE height = ?').get(height) as (LogRow & { errors: Uint8Array }) | undefined
    if (r === undefined) return null
    const txs = this.batchBody(r.batch_id)
    if (txs === null) throw new Error(`corrupt log row ${height}: no stored body for its batch`)
    return { ...logEntry(r), txs, results: unpackResults(r.errors, txs.length) }
  }

  /** Where in the batch at `height` a transaction sits, its result and the root after it, without reading
   *  the batch's body (a client's receipt); null if that batch does not hold it or was pruned. */
  receiptAt (height: number, id: Uint8Array): { index: number, result: TxResult, stateRoot: Uint8Array } | null {
    const r = this.db.sql.prepare('SELECT tx_ids, errors, state_root FROM log WHERE height = ?').get(height) as { tx_ids: Uint8Array, errors: Uint8Array, state_root: Uint8Array } | undefined
    if (r === undefined) return null
    const ids = unpackIds(r.tx_ids)
    const index = ids.findIndex(x => Buffer.compare(x, id) === 0)
    return index < 0 ? null : { index, result: unpackResults(r.errors, ids.length)[index], stateRoot: r.state_root }
  }

  /** A stored batch's transactions by its digest (the batch id), or null if no retained row names it. */
  batchBody (batchId: Uint8Array): Uint8Array[] | null {
    return this.bodies.get(batchId) ?? null
  }

  /**
   * Where a transaction was committed, searching the newest `lookback` batches of the local log, or null.
   * There is deliberately no index by tx id: tx ids are random, so such an index would dirty one page
   * per transaction on every commit; API lookups are rare and recent.
   */
  findTx (id: Uint8Array, lookback = 10_000): { height: number, index: number, result: TxResult } | null {
    const needle = Buffer.from(id.buffer, id.byteOffset, id.byteLength)
    const rows = this.db.sql.prepare('SELECT height, tx_ids FROM log WHERE height > ? ORDER BY height DESC').iterate(this.current.height - lookback) as Iterable<{ height: number, tx_ids: Uint8Array }>
    for (const r of rows) {
      const ids = Buffer.from(r.tx_ids.buffer, r.tx_ids.byteOffset, r.tx_ids.byteLength)
      for (let at = ids.indexOf(needle); at !== -1; at = ids.indexOf(needle, at + 1)) {
        if (at % needle.length !== 0) continue
        const index = at / needle.length
        return { height: Number(r.height), index, result: this.getBatch(Number(r.height))!.results[index] }
      }
    }
    return null
  }

  /** The height the local log starts after (0, or the height of the last installed snapshot). */
  baseHeight (): number {
    return Number((this.db.sql.prepare('SELECT base_height FROM head WHERE id = 1').get() as { base_height: number }).base_height)
  }

  // ---- checkpoints, snapshots, pruning ----

  /** Records consensus's proof that the state at `height` (applied here) is stable. */
  saveCheckpoint (height: number, proof: Uint8Array, createdAt = Date.now()): Checkpoint {
    const root = height === this.current.height ? this.current.stateRoot : (this.getBatch(height)?.stateRoot ?? null)
    if (root === null) throw new StateError(`no state root known for height ${height} (applied ${this.current.height})`, 'ERR_STATE_HEIGHT')
    this.db.write(`save checkpoint ${height}`, () => {
      this.db.sql.prepare('INSERT OR REPLACE INTO checkpoints (height, state_root, proof, created_at) VALUES (?, ?, ?, ?)').run(height, root, proof, createdAt)
    })
    return { height, stateRoot: root, proof, createdAt }
  }

  latestCheckpoint (): Checkpoint | null {
    const r = this.db.sql.prepare('SELECT height, state_root, proof, created_at FROM checkpoints ORDER BY height DESC LIMIT 1').get() as { height: number, state_root: Uint8Array, proof: Uint8Array, created_at: number } | undefined
    return r === undefined ? null : { height: Number(r.height), stateRoot: r.state_root, proof: r.proof, createdAt: Number(r.created_at) }
  }

  /** The whole state at the applied height as snapshot bytes (not stored). */
  exportSnapshot (): Uint8Array {
    return exportSnapshot(this)
  }

  /** Exports the state at the applied height and keeps it, so peers can fetch it later by height. */
  saveSnapshot (createdAt = Date.now()): SnapshotInfo {
    const bytes = this.exportSnapshot()
    const { height, stateRoot } = this.current
    const entries = Number((this.db.sql.prepare('SELECT count(*) AS n FROM state').get() as { n: number }).n)
    this.db.write(`save snapshot ${height}`, () => {
      this.db.sql.prepare('INSERT OR REPLACE INTO snapshots (height, state_root, bytes, created_at) VALUES (?, ?, ?, ?)').run(height, stateRoot, bytes, createdAt)
    })
    return { height, stateRoot, entries, bytes: bytes.length }
  }

  /**
   * The state as of the last committed batch, read through a connection and read transaction of its own
   * (WAL mode: a consistent view while batches keep committing on the main connection), `rowsPerTurn`
   * rows per event-loop turn, so consensus and the API keep running while a large state is exported.
   */
  async exportSnapshotInBackground (rowsPerTurn = 4096): Promise<{ info: SnapshotInfo, bytes: Uint8Array }> {
    const reader = new DatabaseSync(this.db.path, { readOnly: true })
    try {
      reader.exec('BEGIN')
      const h = reader.prepare('SELECT height, state_root, vector FROM head WHERE id = 1').get() as { height: number, state_root: Uint8Array, vector: Uint8Array }
      const head: Head = { height: Number(h.height), stateRoot: h.state_root, vector: h.vector }
      const enc = new SnapshotEncoder()
      const rows = reader.prepare('SELECT tbl, key, value FROM state ORDER BY tbl, key').iterate() as Iterable<{ tbl: number, key: Uint8Array, value: Uint8Array }>
      for (const r of rows) {
        enc.add({ table: Number(r.tbl) as TableId, key: r.key, value: r.value })
        if (enc.count % rowsPerTurn === 0) await new Promise((resolve) => setImmediate(resolve))
      }
      reader.exec('COMMIT')
      const bytes = enc.finish(head)
      return { info: { height: head.height, stateRoot: head.stateRoot, entries: enc.count, bytes: bytes.length }, bytes }
    } finally {
      reader.close()
    }
  }

  /** Keeps snapshot bytes (from exportSnapshotInBackground) so peers can fetch them later. */
  storeSnapshot (info: SnapshotInfo, bytes: Uint8Array, createdAt = Date.now()): void {
    this.db.write(`save snapshot ${info.height}`, () => {
      this.db.sql.prepare('INSERT OR REPLACE INTO snapshots (height, state_root, bytes, created_at) VALUES (?, ?, ?, ?)').run(info.height, info.stateRoot, bytes, createdAt)
    })
  }

  /** Heights of the kept snapshots, newest first. */
  snapshotHeights (): number[] {
    return (this.db.sql.prepare('SELECT height FROM snapshots ORDER BY height DESC').all() as Array<{ height: number }>).map((r) => Number(r.height))
  }

  /**
   * What a peer behind the certified checkpoint `height` needs (transfer.ts): the newest kept snapshot at
   * or below it whose log suffix up to `height` is complete here, else the empty state while this log
   * still starts at height 1, else the state at the head when the head is `height`; null when none is.
   */
  transferFor (height: number): { bytes: Uint8Array, snapshotHeight: number, batches: number } | null {
    if (!Number.isSafeInteger(height) || height < 1 || height > this.current.height) return null
    const suffix = (from: number): TransferBatch[] | null => {
      const out: TransferBatch[] = []
      for (let h = from + 1; h <= height; h++) {
        const b = this.getBatch(h)
        if (b === null) return null
        out.push({ height: h, batchId: b.batchId, txs: b.txs })
      }
      return out
    }
    const kept = this.db.sql.prepare('SELECT height FROM snapshots WHERE height <= ? ORDER BY height DESC').all(height) as Array<{ height: number }>
    for (const r of kept) {
      const at = Number(r.height)
      const batches = suffix(at)
      const snapshot = batches === null ? null : this.getSnapshot(at)
      if (batches !== null && snapshot !== null) return { bytes: encodeTransfer(snapshot, batches), snapshotHeight: at, batches: batches.length }
    }
    if (this.baseHeight() === 0) {
      const batches = suffix(0)
      if (batches !== null) {
        const empty = new LtHash()
        return { bytes: encodeTransfer(encodeSnapshot({ height: 0, stateRoot: empty.root(), vector: empty.bytes() }, []), batches), snapshotHeight: 0, batches: batches.length }
      }
    }
    if (height === this.current.height) return { bytes: encodeTransfer(this.exportSnapshot(), []), snapshotHeight: height, batches: 0 }
    return null
  }

  getSnapshot (height: number): Uint8Array | null {
    return (this.db.sql.prepare('SELECT bytes FROM snapshots WHERE height = ?').get(height) as { bytes: Uint8Array } | undefined)?.bytes ?? null
  }

  latestSnapshotHeight (): number | null {
    const r = this.db.sql.prepare('SELECT height FROM snapshots ORDER BY height DESC LIMIT 1').get() as { height: number } | undefined
    return r === undefined ? null : Number(r.height)
  }

  /**
   * Verifies a snapshot from a peer against what consensus certified and atomically replaces this
   * node's state with it. Throws SnapshotError (nothing changed) for a bad or tampered snapshot.
   */
  installSnapshot (bytes: Uint8Array, expected: SnapshotExpectation = {}): SnapshotInfo {
    return installSnapshot(this, bytes, expected)
  }

  /** Garbage collection below a stable checkpoint: log rows, checkpoints and snapshots under `height`,
   *  and the batch bodies no retained log row names any more. */
  pruneBelow (height: number): { log: number, checkpoints: number, snapshots: number, bodies: number } {
    return this.db.write(`prune below height ${height}`, () => {
      const gone = this.db.sql.prepare('DELETE FROM log WHERE height < ? RETURNING batch_id').all(height) as Array<{ batch_id: Uint8Array }>
      let bodies = 0
      for (const r of gone) if (this.bodies.release(r.batch_id)) bodies++
      return {
        log: gone.length,
        checkpoints: Number(this.db.sql.prepare('DELETE FROM checkpoints WHERE height < ?').run(height).changes),
        snapshots: Number(this.db.sql.prepare('DELETE FROM snapshots WHERE height < ?').run(height).changes),
        bodies
      }
    })
  }
}
