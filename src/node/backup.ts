// Backups of a running node, and restores from them. A backup is one JSON file: the genesis, the state
// snapshot the node kept at its latest checkpoint (the one state transfer serves), the committed log from
// there to the head (so a restore replays it and checks every batch's root), and the latest stable
// checkpoint the cluster certified. It is built in one synchronous step on the node's event loop, between
// two batches, so it is consistent without stopping the node. It holds no private key.
import { createHash } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../config/errors.ts'
import { genesisHash, parseGenesis, type Genesis } from '../config/genesis.ts'
import { MemoryBackend, StateMachine, decodeSnapshot, installSnapshot, type StateBackend, type Storage } from '../state/index.ts'
import { fromHex, toHex } from '../crypto/index.ts'
import { DATA_FILES } from './data-dir.ts'
import { txAuthFor } from './tx-auth.ts'

export const BACKUP_FORMAT = 'novacron-backup'
export const BACKUP_VERSION = 1

export interface BackupBatch { height: number, batchId: string, txs: string[], stateRoot: string, committedAt: number }

export interface BackupFile {
  format: typeof BACKUP_FORMAT
  version: typeof BACKUP_VERSION
  createdAt: string
  cluster: string
  protocol: string
  genesisHash: string
  /** the node the backup was taken from */
  nodeId: string
  /** its applied head when the backup was taken */
  height: number
  stateRoot: string
  /** the DAG round its protocol stood at (null for PBFT) */
  round: number | null
  /** the latest stable checkpoint: a root 2f+1 validators signed */
  certified: { height: number, stateRoot: string } | null
  /** the state at `snapshot.height` (base64 of src/state's snapshot encoding) */
  snapshot: { height: number, stateRoot: string, bytes: string }
  /** committed batches snapshot.height+1 .. height, in order */
  log: BackupBatch[]
  genesis: Genesis
  /** sha256 of this document without this field */
  sha256: string
}

/** What `backup create` and `backup verify` print about a backup. */
export interface BackupSummary {
  cluster: string
  protocol: string
  genesisHash: string
  nodeId: string
  height: number
  stateRoot: string
  snapshotHeight: number
  logBatches: number
  certified: { height: number, stateRoot: string } | null
  createdAt: string
  sha256: string
}

export interface BackupSource {
  storage: Storage
  genesis: Genesis
  nodeId: string
  /** the protocol's latest stable checkpoint and (DAG protocols) round */
  consensus: { stableCheckpoint: number, round?: number } | null
}

function digest (doc: Omit<BackupFile, 'sha256'>): string {
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex')
}

/** The backup of a node's storage as it stands now (synchronous: no batch is applied meanwhile). */
export function createBackup ({ storage, genesis, nodeId, consensus }: BackupSource): BackupFile {
  const head = storage.head()
  // The checkpoint snapshot plus the log after it, when the log still holds every batch since; else (no
  // checkpoint yet, or a log pruned above it) the state at the head itself.
  let base = storage.latestSnapshotHeight()
  let log: BackupBatch[] = []
  if (base != null && base <= head.height) {
    for (let h = base + 1; h <= head.height; h++) {
      const b = storage.getBatch(h)
      if (b == null) { base = null; log = []; break }
      log.push({ height: h, batchId: toHex(b.batchId), txs: b.txs.map(tx => Buffer.from(tx).toString('base64')), stateRoot: toHex(b.stateRoot), committedAt: b.committedAt })
    }
  } else base = null
  const snapshotBytes = base != null ? storage.getSnapshot(base) : null
  const bytes = snapshotBytes ?? storage.exportSnapshot()
  const snapHeight = snapshotBytes != null ? (base as number) : head.height
  if (snapshotBytes == null) log = []
  const decoded = decodeSnapshot(bytes)
  if (!decoded.ok) throw new NovacronError('failure', `this node's snapshot at height ${snapHeight} does not verify: ${decoded.error}`)
  const stable = consensus?.stableCheckpoint ?? 0
  const stableRootBytes = stable === 0 ? null : stable === snapHeight ? decoded.value.head.stateRoot : (storage.getBatch(stable)?.stateRoot ?? null)
  const doc: Omit<BackupFile, 'sha256'> = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: new Date().toISOString(),
    cluster: genesis.cluster,
    protocol: genesis.protocol,
    genesisHash: genesisHash(genesis),
    nodeId,
    height: head.height,
    stateRoot: toHex(head.stateRoot),
    round: consensus?.round ?? null,
    certified: stableRootBytes == null ? null : { height: stable, stateRoot: toHex(stableRootBytes) },
    snapshot: { height: snapHeight, stateRoot: toHex(decoded.value.head.stateRoot), bytes: Buffer.from(bytes).toString('base64') },
    log,
    genesis
  }
  return { ...doc, sha256: digest(doc) }
}

const bad = (why: string): NovacronError => new NovacronError('failure', `not a valid backup: ${why}`)

/**
 * Checks a backup without trusting it: the checksum, the genesis, the snapshot (its entries hash to its
 * root), and every logged batch replayed on it reaching the root the log records, up to the head.
 * Returns the state it rebuilt (in memory) with the summary.
 */
export function verifyBackup (raw: unknown): { summary: BackupSummary, file: BackupFile, replay: (into: StateBackend) => void } {
  if (raw === null || typeof raw !== 'object') throw bad('expected a JSON object')
  const file = raw as BackupFile
  if (file.format !== BACKUP_FORMAT) throw bad(`format is ${JSON.stringify(file.format)}, expected ${BACKUP_FORMAT}`)
  if (file.version !== BACKUP_VERSION) throw bad(`version ${String(file.version)} (this release reads ${BACKUP_VERSION})`)
  const { sha256, ...doc } = file
  if (digest(doc) !== sha256) throw bad('its checksum does not match its content (truncated or edited)')
  let genesis: Genesis
  try { genesis = parseGenesis(file.genesis, 'backup genesis') } catch (err) { throw bad((err as Error).message) }
  if (genesisHash(genesis) !== file.genesisHash) throw bad('the genesis does not hash to the genesisHash it names')
  if (!Array.isArray(file.log) || typeof file.snapshot?.bytes !== 'string') throw bad('snapshot or log missing')
  const snapshot = Buffer.from(file.snapshot.bytes, 'base64')
  const decoded = decodeSnapshot(snapshot)
  if (!decoded.ok) throw bad(`snapshot: ${decoded.error}`)
  if (decoded.value.head.height !== file.snapshot.height || toHex(decoded.value.head.stateRoot) !== file.snapshot.stateRoot) throw bad('the snapshot is not at the height and root it names')
  const replay = (into: StateBackend): void => {
    if (file.snapshot.height > into.head().height) installSnapshot(into, snapshot, { height: file.snapshot.height, stateRoot: fromHex(file.snapshot.stateRoot) })
    const machine = new StateMachine(into, { auth: txAuthFor(genesis, file.genesisHash), livenessBeats: genesis.placement?.livenessBeats })
    let expected = file.snapshot.height + 1
    for (const b of file.log) {
      if (b.height !== expected++) throw bad(`log batch ${b.height} is out of order`)
      const out = machine.applyBatch({ height: b.height, txs: b.txs.map(t => Buffer.from(t, 'base64')), batchId: fromHex(b.batchId), committedAt: b.committedAt })
      if (toHex(out.stateRoot) !== b.stateRoot) throw bad(`replaying batch ${b.height} gives root ${toHex(out.stateRoot).slice(0, 16)}, the log says ${b.stateRoot.slice(0, 16)}`)
    }
    if (into.head().height !== file.height || toHex(into.head().stateRoot) !== file.stateRoot) throw bad(`the replayed state ends at height ${into.head().height}, not at the head ${file.height} it names`)
  }
  replay(new MemoryBackend())
  if (file.certified != null) {
    const c = file.certified
    const known = c.height === file.snapshot.height ? file.snapshot.stateRoot : file.log.find(b => b.height === c.height)?.stateRoot
    if (known != null && known !== c.stateRoot) throw bad(`the certified root at height ${c.height} differs from the state's root there`)
  }
  return { file, replay, summary: summarize(file) }
}

export function summarize (file: BackupFile): BackupSummary {
  return {
    cluster: file.cluster,
    protocol: file.protocol,
    genesisHash: file.genesisHash,
    nodeId: file.nodeId,
    height: file.height,
    stateRoot: file.stateRoot,
    snapshotHeight: file.snapshot.height,
    logBatches: file.log.length,
    certified: file.certified,
    createdAt: file.createdAt,
    sha256: file.sha256
  }
}

/**
 * Heights (and DAG rounds) below which the backed-up node may have signed consensus messages as of the
 * backup: PBFT signs at most its watermark window (4 checkpoint intervals) above its stable checkpoint;
 * Bullshark votes per round, and rounds run ahead of the checkpoint by at most its gc depth.
 */
export function signingBound (file: BackupFile): { height: number, round: number | null } {
  const k = file.genesis.params.checkpointInterval
  return { height: file.height + 4 * k, round: file.round == null ? null : file.round + 2 * file.genesis.params.gcDepth }
}

/** Seeds `dataDir` (which must hold no state) with the backup's genesis and state; its key is the caller's. */
export async function restoreInto (dataDir: string, verified: ReturnType<typeof verifyBackup>): Promise<{ height: number, stateRoot: string }> {
  const dbPath = join(dataDir, 'state.db')
  if (existsSync(dbPath)) throw new NovacronError('config', `data dir ${dataDir} already holds state (${dbPath}): restore into a new or emptied data dir`)
  const { Storage } = await import('../state/index.ts')
  writeFileSync(join(dataDir, DATA_FILES.genesis), JSON.stringify(verified.file.genesis, null, 2) + '\n')
  const storage = Storage.open({ path: dbPath })
  try {
    verified.replay(storage)
    const head = storage.head()
    return { height: head.height, stateRoot: toHex(head.stateRoot) }
  } finally {
    storage.close()
  }
}
