// Opening the database with the durability this project promises, the schema and its version check, and
// the one place writes happen: a write is one SQL transaction, fsynced on COMMIT (WAL +
// synchronous=FULL; a state commit alone at NORMAL, made durable by the next fsynced write, see
// DbOptions.stateSync), and a full disk or I/O error rolls it back and makes storage read-only for good.
import { DatabaseSync } from 'node:sqlite'
import { LtHash } from '../lthash.ts'
import { SchemaVersionError, StorageError, StorageFullError, StorageReadOnlyError } from './errors.ts'

/** major.minor: a newer minor only adds (tables, columns) and is readable; a newer major is refused. */
export const SCHEMA_VERSION = '2.1'
const SCHEMA_MAJOR = 2

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- one row: the applied height, its root and the LtHash vector behind it (so a restart need not rehash);
-- base_height is where the local log starts after a snapshot install
CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), height INTEGER NOT NULL, state_root BLOB NOT NULL,
  vector BLOB NOT NULL, base_height INTEGER NOT NULL);
CREATE TABLE state (tbl INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID;
-- a committed batch: its tx ids and failed results; the transactions themselves are in batch_bodies
CREATE TABLE log (height INTEGER PRIMARY KEY, batch_id BLOB NOT NULL, tx_ids BLOB NOT NULL,
  errors BLOB NOT NULL, state_root BLOB NOT NULL, committed_at INTEGER NOT NULL);
-- each batch's transactions once, by the batch's digest (a rowid table: bodies are large, a WITHOUT ROWID
-- b-tree stores large rows badly); refs is 2.0's count, unused since 2.1
CREATE TABLE batch_bodies (batch_id BLOB PRIMARY KEY, txs BLOB NOT NULL, refs INTEGER NOT NULL);
-- (2.1) how many log rows and consensus WAL records name each body, apart from the body's row so that
-- counting never rewrites the body (storage/bodies.ts); the last reference dropped drops the body
CREATE TABLE body_refs (batch_id BLOB PRIMARY KEY, refs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE checkpoints (height INTEGER PRIMARY KEY, state_root BLOB NOT NULL, proof BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE snapshots (height INTEGER PRIMARY KEY, state_root BLOB NOT NULL, bytes BLOB NOT NULL, created_at INTEGER NOT NULL);
-- the consensus WAL: AUTOINCREMENT so ids stay monotonic even after pruning; seq is the log position a
-- record belongs to (0: none), so records below a stable checkpoint can be pruned; body_id the batch
-- body the record names (2.1), its transactions in batch_bodies
CREATE TABLE wal (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, bytes BLOB NOT NULL, body_id BLOB);
CREATE INDEX wal_seq ON wal (seq);
`

const CACHE_KIB = 64 * 1024
const SQLITE_IOERR = 10
const SQLITE_FULL = 13

export interface DbOptions {
  path: string
  /** test hook: caps the database at this many pages so a test can fill the "disk" */
  maxPageCount?: number
  /** How a state commit (Db.write with durable false) is synced. 'normal' (the default): not at its own
   *  COMMIT; the next fsynced write (the consensus WAL's, every few milliseconds under load) makes it
   *  durable, because in WAL journaling every commit is a run of frames appended to one file and an fsync
   *  of that file covers every frame before it. A power cut can thus lose only a suffix of state commits,
   *  never one out of order, and never a consensus WAL append that returned. 'full': every write fsyncs. */
  stateSync?: 'normal' | 'full'
}

export interface DurabilitySettings {
  /** 'wal' */
  journalMode: string
  /** 2 = FULL */
  synchronous: number
}

function primaryCode (err: unknown): number | undefined {
  const code = (err as { errcode?: unknown })?.errcode
  return typeof code === 'number' ? code & 0xff : undefined
}

function isDiskFailure (err: unknown): boolean {
  const c = primaryCode(err)
  return c === SQLITE_FULL || c === SQLITE_IOERR
}

export class Db {
  readonly sql: DatabaseSync
  readonly path: string
  private failure: string | null = null
  private readonly relaxedSync: boolean

  constructor (opts: DbOptions) {
    this.path = opts.path
    this.relaxedSync = (opts.stateSync ?? 'normal') === 'normal'
    this.sql = new DatabaseSync(opts.path)
    try {
      this.checkVersion()
      // journal_mode cannot change inside a transaction; synchronous=FULL makes every COMMIT fsync the WAL.
      this.sql.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000')
      // SQLite silently keeps the old journal mode where WAL is impossible; we promise WAL, so say so.
      const { journalMode } = this.durabilitySettings()
      if (journalMode !== 'wal') throw new StorageError(`cannot enable WAL journaling for ${this.path} (journal_mode is ${journalMode}); use a local filesystem for the data dir`, 'ERR_STORAGE_WAL')
      // Every write reads the value it replaces (for the state root): with SQLite's 2 MiB default cache a
      // state of a few MiB already turns those reads into syscalls.
      this.sql.exec(`PRAGMA cache_size = -${CACHE_KIB}`)
      if (opts.maxPageCount !== undefined) this.sql.exec(`PRAGMA max_page_count = ${Math.trunc(opts.maxPageCount)}`)
      this.createSchema()
    } catch (err) {
      this.sql.close()
      throw err
    }
  }

  private checkVersion (): void {
    const hasMeta = this.sql.prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get()
    if (hasMeta === undefined) return
    const row = this.sql.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined
    if (row === undefined) return
    const major = Number.parseInt(row.value.split('.')[0], 10)
    if (!(major <= SCHEMA_MAJOR)) {
      throw new SchemaVersionError(`database ${this.path} has schema version ${row.value}, newer than this release supports (${SCHEMA_MAJOR}.x); run a newer novacron or restore a backup`)
    }
    // 1.x kept each batch's transactions inside its log row; nothing converts that in place, so refuse
    // rather than misread it. The way forward keeps the data: a backup taken by the older release restores.
    if (major < SCHEMA_MAJOR) {
      throw new SchemaVersionError(`database ${this.path} has schema version ${row.value}, older than this release supports (${SCHEMA_MAJOR}.x: batches stored once by digest); take a backup with the release that wrote it and restore it with this one, or start with an empty data dir and let the node catch up by state transfer`)
    }
  }

  private createSchema (): void {
    const exists = this.sql.prepare("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'head'").get()
    if (exists !== undefined) return this.addMinors()
    const empty = new LtHash()
    this.write('create schema', () => {
      this.sql.exec(SCHEMA)
      this.sql.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION)
      this.sql.prepare('INSERT INTO head (id, height, state_root, vector, base_height) VALUES (1, 0, ?, ?, 0)').run(empty.root(), empty.bytes())
    })
  }

  /** A 2.0 database gains what 2.1 added (wal.body_id, body_refs with the counts 2.0 kept in the body
   *  rows); its WAL records, which carried their batches inline, are then refused by the consensus record
   *  decoder with the way forward. */
  private addMinors (): void {
    const cols = this.sql.prepare('PRAGMA table_info(wal)').all() as Array<{ name: string }>
    if (cols.some((c) => c.name === 'body_id')) return
    this.write('add wal.body_id and body_refs (schema 2.1)', () => {
      this.sql.exec('ALTER TABLE wal ADD COLUMN body_id BLOB')
      this.sql.exec('CREATE TABLE body_refs (batch_id BLOB PRIMARY KEY, refs INTEGER NOT NULL) WITHOUT ROWID')
      this.sql.exec('INSERT INTO body_refs (batch_id, refs) SELECT batch_id, refs FROM batch_bodies')
      this.sql.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(SCHEMA_VERSION)
    })
  }

  durabilitySettings (): DurabilitySettings {
    const j = this.sql.prepare('PRAGMA journal_mode').get() as { journal_mode: string }
    const s = this.sql.prepare('PRAGMA synchronous').get() as { synchronous: number }
    return { journalMode: j.journal_mode, synchronous: Number(s.synchronous) }
  }

  schemaVersion (): string {
    return (this.sql.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value
  }

  /** null while writable; otherwise why storage went read-only. */
  get readOnlyReason (): string | null {
    return this.failure
  }

  /**
   * Runs `fn` in one SQL transaction and commits it (fsynced before returning). On a full disk or I/O
   * error it rolls back, switches storage to read-only, and throws StorageFullError; any other error is
   * rolled back and rethrown.
   */
  write<T> (what: string, fn: () => T, durable = true): T {
    if (this.failure !== null) throw new StorageReadOnlyError(`storage is read-only, refusing to ${what}: ${this.failure}`)
    let result: T
    // synchronous may change between transactions only; FULL again at once, so every other write fsyncs
    const relax = !durable && this.relaxedSync
    if (relax) this.sql.exec('PRAGMA synchronous = NORMAL')
    try {
      this.sql.exec('BEGIN IMMEDIATE')
      result = fn()
      this.sql.exec('COMMIT')
    } catch (err) {
      // SQLite may already have rolled back on SQLITE_FULL; a second rollback then fails harmlessly.
      try { this.sql.exec('ROLLBACK') } catch { /* no transaction left */ }
      if (!isDiskFailure(err)) throw err
      this.failure = `${(err as Error).message} (SQLite code ${(err as { errcode: number }).errcode}) while trying to ${what} in ${this.path}; free disk space and restart the node`
      throw new StorageFullError(`cannot ${what}: ${this.failure}`, { cause: err })
    } finally {
      if (relax) this.sql.exec('PRAGMA synchronous = FULL')
    }
    return result
  }

  close (): void {
    if (this.sql.isOpen) this.sql.close()
  }
}
