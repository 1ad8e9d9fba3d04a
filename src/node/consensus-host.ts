// Binds the shared consensus driver to this node: the libp2p channel as its transport, real timers, the
// SQLite WAL, the state machine as executor, and snapshots over request/response for state transfer. It
// also tracks commits for callers waiting on their transactions, and the figures `status` shows.
import { Driver, type Clock, type DropReason, type Executor, type StateSync, type Transport, type Wal } from '../consensus/driver/index.ts'
import { ValidatorSet, isMetaTx, makeBatch, txId, txKey, type AddResult, type Batch, type Checkpoint, type LogEvent, type Message, type Protocol, type ProtocolStatus } from '../consensus/core/index.ts'
import { Ed25519Signer, Ed25519Verifier, fromHex, toHex, type Hash } from '../crypto/index.ts'
import { StateMachine, type BatchOutcome, type StateMachineOptions, type Storage } from '../state/index.ts'
import { installTransfer } from '../state/transfer.ts'
import { MAX_SNAPSHOT_BYTES } from '../state/limits.ts'
import { bundleRuns, isSigned, signBundle, signTx } from '../state/signed-tx.ts'
import { ed25519FromSeed, type Ed25519KeyPair } from '../crypto/ed25519.ts'
import { txAuthFor } from './tx-auth.ts'
import { validatorVrfPublicKeys, type Genesis } from '../config/genesis.ts'
import { ecvrf } from '../crypto/vrf.ts'
import type { ProtocolVrf } from '../consensus/core/module.ts'
import { findProtocol } from '../consensus/registry.ts'
import { NovacronError } from '../config/errors.ts'
import type { Logger } from '../log/index.ts'
import type { ConsensusMetrics, NetMetrics } from '../metrics/index.ts'
import type { Channel, NetHost } from '../net/host.ts'
import type { NodeIdentity } from '../net/identity.ts'
import { createProtocol } from './protocols.ts'
import type { EventLog } from './events.ts'
import { RollingStats } from './rolling-stats.ts'
import { wireByzantine, type ByzantineWiring } from './byzantine.ts'

export const CONSENSUS_PROTOCOL_ID = '/novacron/consensus/1.0.0'
export const STATE_PROTOCOL_ID = '/novacron/state/1.0.0'
/** Snapshots kept for peers that fall behind; older ones, and the log below the oldest, are pruned. */
const SNAPSHOTS_KEPT = 2
/** A snapshot is materialised at a checkpoint at most this often (the first checkpoint always gets one):
 *  state transfer sends the latest one plus the log after it, so checkpoints need not each export the
 *  whole state, which cost seconds on the apply path at a few hundred thousand keys. */
const SNAPSHOT_EVERY_MS = 60_000

export interface CommitReceipt {
  /** the consensus transaction's id: a bundle's for each of its commands */
  txId: string
  height: number
  /** the transaction's position in the batch at `height` */
  index: number
  /** the command's position within its signed bundle; null for a transaction of one command */
  command: number | null
  stateRoot: string
  ok: boolean
  error: string | null
}

export interface CommittedBatchEvent {
  height: number
  batchId: string
  txIds: string[]
  stateRoot: string
  committedAt: string
}

export interface ConsensusHostOptions {
  identity: NodeIdentity
  genesis: Genesis
  genesisHash: string
  /** Test builds only (`node start --byzantine MODE`): run one of the simulator's Byzantine behaviours. */
  byzantine?: string
  /** This node's VRF secret (vrf.key), for a protocol that samples with a VRF. */
  vrfSecretKey?: Uint8Array
}

export interface ConsensusHostComponents {
  net: NetHost
  storage: Storage
  logger: Logger
  metrics: ConsensusMetrics
  netMetrics: NetMetrics
  events: EventLog
}

/** What the adaptive view-change / leader timeout needs from the host (src/node/adaptive-timeout.ts). */
export interface ConsensusTimeoutHooks {
  timerMs (id: string, ms: number): number
  submitted (count: number, bytes: number, now: number): void
  committed (latencyMs: number, now: number): void
}

/** `query`: a receipt asked for by id (not submitted here): not a commit latency this node observed. */
interface Waiter { resolve: (r: CommitReceipt) => void, submittedAt: number, command: number | null, query?: true }

export class ConsensusHost {
  readonly protocol: Protocol<Message>
  readonly validators: ValidatorSet
  private readonly opts: ConsensusHostOptions
  private readonly c: ConsensusHostComponents
  private readonly machine: StateMachine
  /** signs the node's own commands, and unsigned ones an admin-token holder submits (for local use) */
  private readonly txKey: Ed25519KeyPair
  private readonly driver: Driver<Message>
  private readonly channel: Channel
  private readonly waiters = new Map<string, Waiter[]>()
  private readonly commitListeners = new Set<(e: CommittedBatchEvent) => void>()
  private readonly rolling = new RollingStats()
  private readonly checkpointInterval: number
  private halted: string | null = null
  private readonly byzantineWiring: ByzantineWiring | null
  private committedSinceStart = 0
  private timeouts: ConsensusTimeoutHooks | null = null
  private readonly machineOptions: StateMachineOptions
  private snapshotting = false
  private lastSnapshotAt = -Infinity

  constructor (opts: ConsensusHostOptions, components: ConsensusHostComponents) {
    this.opts = opts
    this.c = components
    const self = opts.identity.peerId
    this.validators = new ValidatorSet(opts.genesis.validators.map(v => ({ id: v.peerId, publicKey: fromHex(v.publicKey) })))
    const verifier = new Ed25519Verifier(this.validators.publicKeys())
    const genesisHash = fromHex(opts.genesisHash)
    const signer = Ed25519Signer.fromSeed(self, opts.identity.rawPrivateKey)
    const built = createProtocol(opts.genesis, { self, validators: this.validators, signer, verifier, genesisHash, ...vrfFor(opts, self) })
    this.byzantineWiring = opts.byzantine == null
      ? null
      : wireByzantine(opts.byzantine, built.protocol, { self, protocolName: opts.genesis.protocol, validators: this.validators, signer, genesisHash, timeoutMs: built.timeoutMs, seed: Date.now() % 2 ** 31 })
    this.protocol = this.byzantineWiring?.protocol ?? built.protocol
    this.checkpointInterval = built.checkpointInterval
    this.txKey = ed25519FromSeed(opts.identity.rawPrivateKey)
    this.machineOptions = { livenessBeats: opts.genesis.placement?.livenessBeats, auth: txAuthFor(opts.genesis, opts.genesisHash) }
    this.machine = new StateMachine(components.storage, this.machineOptions)
    this.channel = components.net.registerChannel({
      protocol: CONSENSUS_PROTOCOL_ID,
      validatorsOnly: true,
      onMessage: (from, bytes) => { this.byzantineWiring?.inbound(bytes); this.driver.receive(from, bytes) }
    })
    components.net.registerRequestHandler({
      protocol: STATE_PROTOCOL_ID,
      validatorsOnly: true,
      maxRequestBytes: 64,
      handle: async (from, request) => this.serveSnapshot(from, request)
    })
    this.driver = new Driver<Message>({
      self,
      validators: this.validators,
      protocol: this.protocol,
      verifier,
      genesisHash,
      transport: this.transport(),
      clock: realClock,
      wal: this.wal(),
      executor: this.executor(),
      stateSync: this.stateSync(),
      metrics: {
        dropped: (reason: DropReason) => {
          components.metrics.messagesDropped.inc({ reason })
          components.netMetrics.framesDropped.inc({ reason })
        },
        viewChange: (view: number) => {
          components.metrics.viewChanges.inc()
          components.metrics.view.set(view)
          components.events.push('warn', `view change to view ${view} (primary ${this.validators.primary(view).slice(-8)})`)
        },
        committed: () => {},
        event: (e: LogEvent) => this.onProtocolEvent(e)
      },
      onFatal: err => this.halt(err),
      timerMs: (id, ms) => this.timeouts?.timerMs(id, ms) ?? ms,
      // Persists of one event-loop turn (every message that arrived in it) share one WAL transaction and fsync.
      groupCommit: flush => setImmediate(flush)
    })
  }

  /** From now on the adaptive timeout sets the protocol's view-change / leader timer and sees each commit. */
  useTimeouts (hooks: ConsensusTimeoutHooks): void { this.timeouts = hooks }

  /** Restores the protocol from the WAL and starts it where the state machine stands. */
  start (): void {
    const head = this.c.storage.head()
    this.c.metrics.height.set(head.height)
    const records = this.c.storage.wal.readAll().map(r => r.bytes)
    try {
      this.driver.start(records, { seq: head.height, stateRoot: head.stateRoot }, digest => this.c.storage.wal.body(digest))
    } catch (err) {
      // an unreadable WAL (a body missing from the store, an older record format) is the operator's to fix:
      // one line saying which record and why, not a stack
      throw new NovacronError('failure', `cannot restore consensus from the WAL in ${this.c.storage.db.path}: ${(err as Error).message}`, { cause: err })
    }
    this.c.logger.info({ height: head.height, walRecords: records.length, protocol: this.opts.genesis.protocol }, 'consensus started')
  }

  stop (): void {
    this.driver.stop()
    for (const [key, list] of this.waiters) for (const w of list) w.resolve({ txId: key, height: -1, index: -1, command: w.command, stateRoot: '', ok: false, error: 'node stopped' })
    this.waiters.clear()
  }

  /** Why this node stopped voting (a full disk, a failed write), or null while it takes part. */
  get haltReason (): string | null { return this.halted }

  status (): ProtocolStatus & { height: number, stateRoot: string, mempool: number } {
    const head = this.c.storage.head()
    return { ...this.protocol.status(), height: head.height, stateRoot: toHex(head.stateRoot), mempool: this.driver.mempool.size }
  }

  figures (): { committedTx: number, tps1m: number, p50: number | null, p99: number | null } {
    return { committedTx: this.committedSinceStart, ...this.rolling.summary(Date.now()) }
  }

  /**
   * Admits transactions (one protocol request for all of them); each promise resolves once that
   * transaction is committed and applied here. A refusal (too large, mempool full, node halted) throws
   * a usage or failure error; transactions admitted alongside it still commit.
   */
  submit (commands: readonly Uint8Array[]): Array<{ txId: string, committed: Promise<CommitReceipt> }> {
    if (this.halted != null) throw new NovacronError('failure', `this node stopped voting: ${this.halted}`)
    // Bare commands of one request are signed together: one signature per bundle (bundleRuns splits what
    // does not fit one), not one per command. A lone command keeps the single envelope. Signed ones pass.
    const txs: Uint8Array[] = []
    const slots: Array<{ tx: number, command: number | null }> = new Array(commands.length)
    const bare: number[] = []
    commands.forEach((c, i) => {
      if (isSigned(c)) { slots[i] = { tx: txs.length, command: null }; txs.push(c) } else bare.push(i)
    })
    if (bare.length === 1) {
      slots[bare[0]] = { tx: txs.length, command: null }
      txs.push(this.signForLocalUse([commands[bare[0]]]))
    } else if (bare.length > 1) {
      let next = 0
      for (const run of bundleRuns(bare.map(i => commands[i]))) {
        run.forEach((_, k) => { slots[bare[next + k]] = { tx: txs.length, command: k } })
        next += run.length
        txs.push(this.signForLocalUse(run))
      }
    }
    const submittedAt = performance.now()
    this.timeouts?.submitted(commands.length, txs.reduce((a, t) => a + t.byteLength, 0), submittedAt)
    const keys = txs.map(tx => txKey(tx))
    const pending = slots.map(({ tx, command }) => {
      const txId = keys[tx]
      const committed = new Promise<CommitReceipt>(resolve => {
        const list = this.waiters.get(txId) ?? []
        list.push({ resolve, submittedAt, command })
        this.waiters.set(txId, list)
      })
      return { txId, committed }
    })
    const results: AddResult[] = this.driver.submitMany(txs)
    let refusal: AddResult | null = null
    results.forEach((res, i) => {
      if (res.ok || res.reason === 'duplicate') return
      this.waiters.delete(keys[i])
      this.c.metrics.submitRefused.inc({ reason: res.reason })
      refusal ??= res
    })
    this.c.metrics.mempoolTxs.set(this.driver.mempool.size)
    if (refusal != null) {
      const r = refusal as Extract<AddResult, { ok: false }>
      throw new NovacronError(r.reason === 'full' ? 'failure' : 'usage', r.reason === 'full' ? `mempool full: ${r.error}; retry later` : r.error)
    }
    return pending
  }

  /**
   * Wraps bare commands in an envelope signed with this node's key (one command: a signed tx; several: a
   * signed bundle), valid until the last height at which the replay window still remembers it (head +
   * window - 1; it must commit by then or expire).
   */
  private signForLocalUse (commands: readonly Uint8Array[]): Uint8Array {
    const validUntil = this.c.storage.head().height + this.machine.replayWindow - 1
    const genesisHash = fromHex(this.opts.genesisHash)
    try {
      return commands.length === 1 ? signTx(commands[0], this.txKey, validUntil, genesisHash) : signBundle(commands, this.txKey, validUntil, genesisHash)
    } catch (err) {
      throw new NovacronError('usage', (err as Error).message)
    }
  }

  /** Stops waiting for a transaction (the caller timed out); the transaction itself may still commit. */
  /**
   * This replica's receipt for a transaction by id, whoever submitted it: a BFT client trusts a commit
   * once f+1 replicas report the same one (bench --ack-quorum). One the replay window remembers answers
   * from its log row (index -1 and no root if that row was pruned below a snapshot); one not applied yet
   * resolves when it commits here. `cancel` drops only this query's waiter.
   */
  receipt (txId: string): { committed: Promise<CommitReceipt>, cancel: () => void } {
    const id = fromHex(txId)
    const height = this.machine.appliedHeight(id)
    if (height !== undefined) {
      const at = this.c.storage.receiptAt(height, id)
      const r: CommitReceipt = at === null
        ? { txId, height, index: -1, command: null, stateRoot: '', ok: true, error: null }
        : { txId, height, index: at.index, command: null, stateRoot: toHex(at.stateRoot), ok: at.result.ok, error: at.result.ok ? null : at.result.error }
      return { committed: Promise.resolve(r), cancel: () => {} }
    }
    let waiter: Waiter | undefined
    const committed = new Promise<CommitReceipt>(resolve => { waiter = { resolve, submittedAt: performance.now(), command: null, query: true } })
    const list = this.waiters.get(txId) ?? []
    list.push(waiter!)
    this.waiters.set(txId, list)
    const cancel = (): void => {
      const l = this.waiters.get(txId)
      if (l == null) return
      const rest = l.filter(w => w !== waiter)
      if (rest.length === 0) this.waiters.delete(txId)
      else this.waiters.set(txId, rest)
    }
    return { committed, cancel }
  }

  forget (txId: string): void {
    this.waiters.delete(txId)
  }

  onCommit (listener: (e: CommittedBatchEvent) => void): () => void {
    this.commitListeners.add(listener)
    return () => this.commitListeners.delete(listener)
  }

  private transport (): Transport {
    const honest: Transport = { send: (to, bytes) => { for (const id of to) this.channel.send(id, bytes) } }
    return this.byzantineWiring?.transport(honest) ?? honest
  }

  private wal (): Wal {
    return {
      append: (entries, pruneBelow) => {
        const t0 = performance.now()
        this.c.storage.wal.append(entries, pruneBelow)
        this.c.metrics.fsyncSeconds.observe({ what: 'wal' }, (performance.now() - t0) / 1000)
      }
    }
  }

  private executor (): Executor {
    return {
      execute: (seq: number, batch: Batch): Hash => {
        const t0 = performance.now()
        // Consensus metadata (T-PBFT's trust evidence) is the protocol's: the state machine never sees it.
        const txs = batch.txs.filter(tx => !isMetaTx(tx))
        // The log row's body is what it applies: with meta transactions left out it is another batch, under
        // its own digest (the consensus WAL may hold the full one under batch.id in the same body store).
        const batchId = txs.length === batch.txs.length ? batch.id : makeBatch(txs).id
        const outcome = this.machine.applyBatch({ height: seq, txs, txIds: txs.map(txId), batchId, committedAt: Date.now() })
        this.c.metrics.fsyncSeconds.observe({ what: 'batch' }, (performance.now() - t0) / 1000)
        if (seq % this.checkpointInterval === 0) this.keepSnapshot(seq)
        this.afterCommit(outcome)
        return outcome.stateRoot
      }
    }
  }

  private afterCommit (outcome: BatchOutcome): void {
    const m = this.c.metrics
    const now = performance.now()
    const stateRoot = toHex(outcome.stateRoot)
    // Commands are what clients submit and benches count: a bundle counts as its commands.
    let commands = 0
    outcome.commandResults.forEach(c => { commands += c === null ? 1 : c.length })
    m.height.set(outcome.height)
    m.batchSize.observe(outcome.txIds.length)
    m.committedTx.inc(commands)
    this.committedSinceStart += commands
    this.rolling.add(Date.now(), commands)
    const txIds = outcome.txIds.map(id => toHex(id))
    txIds.forEach((key, index) => {
      const list = this.waiters.get(key)
      if (list == null) return
      this.waiters.delete(key)
      const bundle = outcome.commandResults[index]
      for (const w of list) {
        // A bundle refused whole (bad signature, expired) has one result for every command.
        const result = w.command !== null && bundle !== null ? (bundle[w.command] ?? outcome.results[index]) : outcome.results[index]
        const ms = now - w.submittedAt
        if (w.query !== true) {
          m.commitLatency.observe(ms / 1000)
          this.rolling.latency(ms)
          this.timeouts?.committed(ms, now)
        }
        w.resolve({ txId: key, height: outcome.height, index, command: w.command, stateRoot, ok: result.ok, error: result.ok ? null : result.error })
      }
    })
    m.mempoolTxs.set(this.driver.mempool.size)
    if (this.commitListeners.size === 0) return
    const event: CommittedBatchEvent = { height: outcome.height, batchId: toHex(outcome.batchId), txIds, stateRoot, committedAt: new Date(outcome.committedAt).toISOString() }
    for (const l of this.commitListeners) l(event)
  }

  /** At a checkpoint: starts a background snapshot when none was taken for SNAPSHOT_EVERY_MS. It never
   *  stops the node: a state too large to export (MAX_SNAPSHOT_BYTES) is logged, and peers are then
   *  served from an older snapshot and the log, or not at all. */
  private keepSnapshot (height: number): void {
    if (this.snapshotting || performance.now() - this.lastSnapshotAt < SNAPSHOT_EVERY_MS) return
    this.snapshotting = true
    this.lastSnapshotAt = performance.now()
    const t0 = performance.now()
    const storage = this.c.storage
    void storage.exportSnapshotInBackground().then(({ info, bytes }) => {
      storage.storeSnapshot(info, bytes)
      const kept = storage.snapshotHeights()
      if (kept.length > SNAPSHOTS_KEPT) storage.pruneBelow(kept[SNAPSHOTS_KEPT - 1])
      this.c.logger.debug({ checkpoint: height, height: info.height, entries: info.entries, bytes: info.bytes, ms: Math.round(performance.now() - t0) }, 'saved a snapshot')
    }).catch((err: unknown) => {
      this.c.logger.warn({ height, err: String(err) }, 'snapshot not saved')
    }).finally(() => { this.snapshotting = false })
  }

  private async serveSnapshot (from: string, request: Uint8Array): Promise<Uint8Array> {
    const height = Number(Buffer.from(request).toString('utf8'))
    if (!Number.isSafeInteger(height) || height < 0) throw new Error('bad snapshot request')
    const transfer = this.c.storage.transferFor(height)
    if (transfer == null) throw new Error(`no snapshot and log up to height ${height}`)
    this.c.metrics.snapshotsServed.inc()
    this.c.logger.info({ peer: from, height, snapshotHeight: transfer.snapshotHeight, batches: transfer.batches, bytes: transfer.bytes.byteLength }, 'served a state transfer')
    return transfer.bytes
  }

  private stateSync (): StateSync {
    return {
      fetch: (from, checkpoint: Checkpoint, done) => { void this.fetchSnapshot(from, checkpoint).then(done) }
    }
  }

  private async fetchSnapshot (from: readonly string[], checkpoint: Checkpoint): Promise<boolean> {
    for (const peer of from) {
      try {
        const bytes = await this.c.net.request(peer, STATE_PROTOCOL_ID, Buffer.from(String(checkpoint.seq)), { timeoutMs: 60_000, maxResponseBytes: MAX_SNAPSHOT_BYTES })
        const installed = installTransfer(this.c.storage, bytes, { height: checkpoint.seq, stateRoot: checkpoint.stateRoot }, this.machineOptions)
        this.c.metrics.snapshotsInstalled.inc()
        this.acknowledgeInstalled(checkpoint)
        this.c.metrics.height.set(checkpoint.seq)
        this.c.events.push('info', `caught up by state transfer: installed a snapshot at height ${checkpoint.seq} from ${peer.slice(-8)}`)
        this.c.logger.info({ peer, height: checkpoint.seq, snapshotHeight: installed.snapshotHeight, batches: installed.batches, bytes: bytes.byteLength }, 'installed snapshot')
        return true
      } catch (err) {
        this.c.logger.warn({ peer, height: checkpoint.seq, err: String(err) }, 'state transfer from peer failed')
      }
    }
    return false
  }

  // Transactions this node waited for that the snapshot already contains never pass through execute()
  // here: the state remembers them (replay window), so they committed at or below the snapshot's height.
  private acknowledgeInstalled (checkpoint: Checkpoint): void {
    const stateRoot = toHex(checkpoint.stateRoot)
    for (const [txId, list] of this.waiters) {
      if (!this.machine.isDuplicate(fromHex(txId))) continue
      this.waiters.delete(txId)
      for (const w of list) w.resolve({ txId, height: checkpoint.seq, index: -1, command: w.command, stateRoot, ok: true, error: null })
    }
  }

  private onProtocolEvent (e: LogEvent): void {
    if (e.type === 'new-view') this.c.metrics.newViews.inc()
    if (e.type === 'epoch-config') this.c.events.push('info', `epoch ${String(e.epoch)} (configuration ${String(e.config).slice(0, 12)})`)
    if (e.type === 'inner-failover') {
      this.c.metrics.innerFailovers.inc()
      this.c.events.push('warn', `inner failover in view ${String(e.view)}: ${String(e.acting ?? '?').slice(-8)} proposes`)
    }
    if (e.type === 'equivocation' || e.type === 'invalid-message') this.c.events.push('warn', `${e.type} from ${String(e.from ?? '?').slice(-8)}`)
    this.c.logger.debug(e, 'consensus event')
  }

  private halt (err: Error): void {
    this.halted = err.message
    this.c.events.push('error', `stopped voting: ${err.message}`)
    this.c.logger.error({ err: err.message }, 'consensus halted: this node stopped voting')
  }
}

// Consensus time is monotonic (epoch-based at start, then performance.now()): a wall-clock jump, NTP stepping
// the clock back or forward, never reaches view timers, backoffs or help rate limits. The wall clock is
// read only for what is displayed (committedAt in the log, uptime), never for what is agreed.
const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (ms, fire) => setTimeout(fire, ms),
  clearTimer: handle => clearTimeout(handle as NodeJS.Timeout)
}

/** keys.vrf for a protocol that samples with a VRF: ECVRF under this node's vrf.key, every validator's
 *  public key from genesis; refused when the genesis entry for this node names another key. */
function vrfFor (opts: ConsensusHostOptions, self: string): { vrf?: ProtocolVrf } {
  if (findProtocol(opts.genesis.protocol)?.samplesWithVrf !== true) return {}
  if (opts.vrfSecretKey === undefined) throw new NovacronError('config', `${opts.genesis.protocol} samples with a VRF: this node has no vrf.key (run \`novacron init\` again)`)
  const publicKeys = validatorVrfPublicKeys(opts.genesis)
  const vrf = ecvrf(opts.vrfSecretKey)
  const listed = publicKeys.get(self)
  if (listed === undefined || Buffer.compare(Buffer.from(listed), Buffer.from(vrf.publicKey)) !== 0) throw new NovacronError('config', `genesis lists another vrfPublicKey for ${self} than this node's vrf.key`)
  return { vrf: { vrf, publicKeys } }
}
