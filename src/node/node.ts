// The composition root: the only place that knows every part. init() wires them in a fixed order
// (identity, genesis, metrics, storage, net, consensus, data plane, health loop, admin API) and close()
// tears them down in reverse.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../config/errors.ts'
import { faultTolerance, genesisHash, readGenesis, type Genesis } from '../config/genesis.ts'
import type { Settings } from '../config/settings.ts'
import type { Logger } from '../log/index.ts'
import { createMetrics, type Metrics } from '../metrics/index.ts'
import { loadIdentity, type NodeIdentity } from '../net/identity.ts'
import { NetHost } from '../net/host.ts'
import { Storage, kvPutTx } from '../state/index.ts'
import { MAX_MESSAGE_BYTES } from '../consensus/core/index.ts'
import { CONSENSUS_PROTOCOL_ID, ConsensusHost } from './consensus-host.ts'
import { registerClientRoutes } from './client-routes.ts'
import { registerWorkloadRoutes } from './workload-routes.ts'
import { hostCapacity, WorkloadAgent, type AsyncBidder } from './workload-agent.ts'
import { registerTransferRoutes } from './transfer-routes.ts'
import { registerTrustRoutes, trustSourceOf } from '../api/trust.ts'
import { createHealthMonitor, healthJson, refreshMetrics } from './health.ts'
import { DwcpService, type HealthMonitor } from '../dwcp/index.ts'
import { ModelRegistry } from '../ml/registry.ts'
import { PeerReliability } from './peer-reliability.ts'
import { ModelCodecSelector } from './model-codec-selector.ts'
import { BandwidthPlanner } from './bandwidth-planner.ts'
import { GuardBoard } from '../ml/guard.ts'
import { openAdaptiveTimeout, type RunningTimeout } from './timeout-wiring.ts'
import { forecastBandwidth } from '../ml/tasks/bandwidth-task.ts'
import { DEFAULT_LIMITS, maxFrameBytes } from '../dwcp/wire/limits.ts'
import { AdminApi, startMetricsServer, type MetricsServer } from '../api/server.ts'
import type { HealthJson, PeerJson, StatusJson } from '../api/types.ts'
import { DATA_FILES, createToken, ensureDataDir, isAlive, readRuntime, rememberAddresses, removeRuntime, writeRuntime } from './data-dir.ts'
import { EventLog } from './events.ts'
import { FL_PROTOCOL_ID, MAX_MESSAGE_BYTES as FL_MAX_MESSAGE_BYTES } from '../fl/messages.ts'
import { FlService } from '../fl/service.ts'
import { registerFlRoutes } from '../fl/routes.ts'
import { LinkHistory } from '../fl/link-history.ts'
import { createBackup } from './backup.ts'
import { loadVrfKey } from './vrf-key.ts'

export const STATE_DB_FILE = 'state.db'

/** The shipped MADDPG actor's bids through ONNX Runtime on src/ml's worker, or null when it is not shipped. */
async function learnedPlacement (models: ModelRegistry): Promise<AsyncBidder | null> {
  const { placementBids } = await import('../ml/tasks/placement.ts')
  try {
    await models.load('placement')
  } catch {
    return null
  }
  return async (request, hosts) => await placementBids(models, request, hosts)
}
export const DWCP_PROTOCOL_ID = '/novacron/dwcp/1.0.0'

export type NodeOptions = Pick<Settings, 'dataDir' | 'listen' | 'bootstrap' | 'genesis' | 'admin' | 'metrics' | 'mdns' | 'receiveDir'> & Partial<Pick<Settings, 'capacity'>> & {
  /** The config file the settings came from: addresses are remembered only in the data dir's own. */
  configFile?: string | null
}

export interface NodeModules {
  logger: Logger
  /** Test builds only: a Byzantine behaviour for this validator (see byzantine.ts). */
  byzantine?: string
}

export class NovacronNode {
  readonly identity: NodeIdentity
  readonly genesis: Genesis
  readonly genesisHash: string
  readonly metrics: Metrics
  readonly events = new EventLog()
  private readonly opts: NodeOptions
  private readonly logger: Logger
  private readonly byzantine: string | undefined
  private readonly startedAt = Date.now()
  private net: NetHost | null = null
  private api: AdminApi | null = null
  private metricsServer: MetricsServer | null = null
  private storage: Storage | null = null
  private consensus: ConsensusHost | null = null
  private dwcp: DwcpService | null = null
  private healthMonitor: HealthMonitor | null = null
  private reliability: PeerReliability | null = null
  private workloads: WorkloadAgent | null = null
  private models: ModelRegistry | null = null
  private timeout: RunningTimeout | null = null
  private readonly guards = new GuardBoard()
  private bandwidth: BandwidthPlanner | null = null
  private fl: FlService | null = null
  private adminUrl = ''
  private closed = false

  private constructor (opts: NodeOptions, modules: NodeModules, identity: NodeIdentity, genesis: Genesis) {
    this.opts = opts
    this.logger = modules.logger
    this.byzantine = modules.byzantine
    this.identity = identity
    this.genesis = genesis
    this.genesisHash = genesisHash(genesis)
    this.metrics = createMetrics()
  }

  static async init (opts: NodeOptions, modules: NodeModules): Promise<NovacronNode> {
    ensureDataDir(opts.dataDir, { create: false })
    const running = readRuntime(opts.dataDir)
    if (running != null && running.pid !== process.pid && isAlive(running.pid)) {
      throw new NovacronError('failure', `a node is already running with data dir ${opts.dataDir} (pid ${running.pid}, admin ${running.admin})`)
    }
    const identity = loadIdentity(opts.dataDir)
    const genesis = resolveGenesis(opts)
    const node = new NovacronNode(opts, modules, identity, genesis)
    try {
      await node.start()
    } catch (err) {
      await node.close()
      throw err
    }
    return node
  }

  get role (): 'validator' | 'observer' {
    return this.genesis.validators.some(v => v.peerId === this.identity.peerId) ? 'validator' : 'observer'
  }

  get admin (): string { return this.adminUrl }

  private async start (): Promise<void> {
    const { logger } = this
    const storage = Storage.open({ path: join(this.opts.dataDir, STATE_DB_FILE) })
    this.storage = storage
    const net = new NetHost({
      identity: this.identity,
      listen: this.listenAddrs(),
      bootstrap: this.opts.bootstrap,
      validators: this.genesis.validators,
      mdns: this.opts.mdns,
      maxFrameBytes: MAX_MESSAGE_BYTES,
      onRtt: (peer, ms) => this.dwcp?.links.recordRtt(peer, ms),
      dialGuard: async (peer, dial) => this.dwcp != null ? await this.dwcp.breakers.execute(peer, dial) : await dial(),
      // A connection from the peer itself proves it is back: its breaker starts closed again.
      onPeerConnect: peer => {
        this.dwcp?.breakers.forget(peer)
        this.reliability?.connected(peer)
      },
      onPeerDisconnect: peer => this.reliability?.disconnected(peer)
    }, { logger: logger.child({ part: 'net' }), metrics: this.metrics.net })
    this.net = net
    // Observers follow no protocol: only validators take part in consensus.
    if (this.role === 'validator') {
      this.consensus = new ConsensusHost({ identity: this.identity, genesis: this.genesis, genesisHash: this.genesisHash, byzantine: this.byzantine, vrfSecretKey: loadVrfKey(this.opts.dataDir)?.secretKey }, {
        net, storage, logger: logger.child({ part: 'consensus' }), metrics: this.metrics.consensus, netMetrics: this.metrics.net, events: this.events
      })
    }
    if (this.consensus != null) this.fl = this.startFl(net, this.consensus)
    this.models = this.openModels()
    if (this.consensus != null) this.timeout = openAdaptiveTimeout({ genesis: this.genesis, consensus: this.consensus, models: this.models, guards: this.guards, logger: this.logger.child({ part: 'ml' }), peers: () => this.peers() })
    this.bandwidth = this.openBandwidthPlanner()
    const receiveDir = this.opts.receiveDir ?? join(this.opts.dataDir, 'received')
    mkdirSync(receiveDir, { recursive: true })
    // Each send's throughput is this node's own link history, what federated rounds train on (src/fl).
    const linkHistory = new LinkHistory({ dataDir: this.opts.dataDir })
    const codecSelector = this.openCodecSelector()
    const dwcp = new DwcpService({
      receiveDir,
      dialer: { openStreams: async (peer, n) => await net.openFrameStreams(peer, DWCP_PROTOCOL_ID, n) },
      autoSelector: codecSelector ?? undefined,
      linkEstimate: this.bandwidth != null ? (peer, measured) => this.bandwidth!.estimate(peer, measured) : undefined,
      onThroughput: (peer, mbps) => {
        if (this.bandwidth != null) void this.bandwidth.observe(peer, mbps)
        try {
          linkHistory.record(peer, mbps)
        } catch (err) {
          this.logger.warn({ err: String(err) }, 'link history not recorded')
        }
      },
      onReceiverEvent: e => {
        if (e.type === 'complete') this.events.push('info', `received ${e.name} (${e.size} bytes) from ${e.from.slice(-8)}`)
        if (e.type === 'failed') this.events.push('warn', `transfer from ${e.from.slice(-8)} failed: ${e.reason}`)
      }
    })
    this.dwcp = dwcp
    net.registerStreamProtocol({
      protocol: DWCP_PROTOCOL_ID,
      validatorsOnly: true,
      maxFrameBytes: maxFrameBytes(DEFAULT_LIMITS),
      maxInboundStreams: 64,
      onStream: (stream, from) => { void dwcp.handleStream(stream, from) }
    })
    await net.start()
    logger.info({ peerId: this.identity.peerId, role: this.role, protocol: this.genesis.protocol, listen: net.listenAddrs() }, 'libp2p started')
    this.consensus?.start()
    if (this.consensus != null) {
      this.workloads = new WorkloadAgent({
        self: this.identity.peerId, genesis: this.genesis, capacity: hostCapacity(this.opts.dataDir, this.opts.capacity), addresses: net.listenAddrs(),
        learnedBids: this.genesis.placement?.policy === 'maddpg' && this.models != null ? await learnedPlacement(this.models) : null
      }, { consensus: this.consensus, storage, logger: logger.child({ part: 'workloads' }) })
      this.workloads.start()
    }
    await dwcp.start()
    // Measured only once the node is up: a start that fails (a port in use) exits without a second of work.
    if (codecSelector != null) this.calibrateCodecs(codecSelector)
    this.reliability = this.startReliability()
    this.healthMonitor = createHealthMonitor({ reachable: () => this.reachability(), storage, consensus: this.consensus, dwcp })
    this.healthMonitor.start()

    const token = createToken(this.opts.dataDir)
    const api = new AdminApi({ listen: this.opts.admin, token }, { logger: logger.child({ part: 'api' }), metrics: this.metrics.api })
    api.route('GET', '/v1/status', async () => ({ json: await this.status() }))
    api.route('GET', '/v1/peers', () => ({ json: this.peers() }))
    api.route('GET', '/health', async () => ({ json: await this.health() }))
    api.route('GET', '/v1/models', () => ({ json: this.guards.states() }))
    api.route('GET', '/metrics', async () => {
      if (this.healthMonitor != null) refreshMetrics(this.metrics, this.healthMonitor, dwcp)
      for (const g of this.guards.states()) {
        this.metrics.models.inCharge.set({ model: g.model, baseline: g.baseline }, g.inCharge === 'model' ? 1 : 0)
        if (g.modelLoss != null) this.metrics.models.liveLoss.set({ model: g.model, scorer: 'model' }, g.modelLoss)
        if (g.baselineLoss != null) this.metrics.models.liveLoss.set({ model: g.model, scorer: g.baseline }, g.baselineLoss)
        this.metrics.models.switches.set({ model: g.model }, g.switches)
      }
      const t = this.timeout?.state()
      if (t != null) for (const who of ['genesis', 'model', 'baseline'] as const) this.metrics.models.consensusTimeout.set({ set_by: who }, who === t.setBy ? t.timeoutMs : 0)
      return { text: await this.metrics.registry.metrics(), contentType: this.metrics.registry.contentType }
    })
    if (this.consensus != null) {
      const consensus = this.consensus
      registerClientRoutes(api, { consensus, storage })
      api.route('GET', '/v1/backup', () => ({ json: createBackup({ storage, genesis: this.genesis, nodeId: this.identity.peerId, consensus: consensus.status() }) }))
    }
    if (this.consensus != null && this.workloads != null) registerWorkloadRoutes(api, { consensus: this.consensus, storage, agent: this.workloads })
    registerTransferRoutes(api, dwcp, id => id !== this.identity.peerId && net.isValidator(id))
    if (this.fl != null) registerFlRoutes(api, this.fl)
    registerTrustRoutes(api, { protocol: this.genesis.protocol, source: () => trustSourceOf(this.consensus?.protocol) })
    this.api = api
    this.adminUrl = await api.start()
    if (this.opts.metrics != null) this.metricsServer = await startMetricsServer(this.opts.metrics, this.metrics.registry)
    writeRuntime(this.opts.dataDir, {
      version: 1, pid: process.pid, peerId: this.identity.peerId, admin: this.adminUrl, listen: net.listenAddrs(), startedAt: new Date(this.startedAt).toISOString()
    })
    const ownConfig = join(this.opts.dataDir, DATA_FILES.config)
    if (this.opts.configFile == null || this.opts.configFile === ownConfig) {
      if (rememberAddresses(this.opts.dataDir, { admin: new URL(this.adminUrl).host, listen: boundListen(this.listenAddrs(), net.listenAddrs()) })) {
        logger.info({ config: ownConfig }, 'remembered the admin and listen addresses in the config: a restart with only --data-dir binds them again')
      }
    }
    this.events.push('info', `node started as ${this.role} of cluster ${this.genesis.cluster} (${this.genesis.protocol})`)
    logger.info({ admin: this.adminUrl }, 'admin API listening')
  }

  // Models are a help, not a duty: without them the node runs, DWCP's `auto` uses its measured rule and
  // peers show no reliability score.
  private openModels (): ModelRegistry | null {
    try {
      return new ModelRegistry()
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'no models available: codec rule instead of the model, no reliability scores')
      return null
    }
  }

  // Federated retraining of the bandwidth forecaster among validators (src/fl); the request handler must
  // be registered before the net starts.
  private startFl (net: NetHost, consensus: ConsensusHost): FlService {
    const fl = new FlService({
      self: this.identity.peerId,
      dataDir: this.opts.dataDir,
      members: () => this.genesis.validators.map(v => v.peerId),
      leader: () => consensus.status().primary ?? null,
      request: async (peer, payload, timeoutMs) => await net.request(peer, FL_PROTOCOL_ID, payload, { timeoutMs, maxResponseBytes: FL_MAX_MESSAGE_BYTES }),
      link: peer => { const m = this.dwcp?.links.measurement(peer); return { mbps: m?.bandwidthMbps ?? null, rttMs: m?.rttMs ?? null } },
      reliability: peer => this.reliability?.score(peer) ?? null,
      log: (level, msg) => { this.logger[level](msg); this.events.push(level, msg) },
      record: async (key, value) => { await consensus.submit([kvPutTx(key, value)])[0].committed }
    })
    net.registerRequestHandler({ protocol: FL_PROTOCOL_ID, validatorsOnly: true, maxRequestBytes: FL_MAX_MESSAGE_BYTES, handle: async (from, req, signal) => await fl.handle(from, req, signal) })
    return fl
  }

  private startReliability (): PeerReliability | null {
    if (this.models == null) return null
    const peers = this.genesis.validators.map(v => v.peerId).filter(id => id !== this.identity.peerId)
    const entry = this.models.manifest.models.reliability
    if (entry == null) return null
    const guard = this.guards.guard('reliability', { baseline: 'logisticRegression' }, entry.bySource)
    const reliability = new PeerReliability(peers, { registry: this.models, logger: this.logger.child({ part: 'ml' }), guard })
    reliability.start()
    return reliability
  }

  // The compression model picks `auto` codecs once this host's codec speeds are measured (calibrateCodecs, a second once started).
  private openCodecSelector (): ModelCodecSelector | null {
    const entry = this.models?.manifest.models.compression
    if (this.models == null || entry == null) return null
    return new ModelCodecSelector(this.models, this.guards.guard('compression', { baseline: 'rule' }, entry.bySource))
  }

  private calibrateCodecs (selector: ModelCodecSelector): void {
    selector.calibrate().then(
      c => { if (!this.closed) this.logger.info({ usPerByte: c }, 'codec calibration of this host done') },
      (err: unknown) => { if (!this.closed) this.logger.warn({ err: String(err) }, 'codec calibration failed; the labelling host\'s speeds stay in use') }
    )
  }

  // The bandwidth forecaster plans DWCP's streams and chunk size; EWMA stands in through the guard.
  private openBandwidthPlanner (): BandwidthPlanner | null {
    const models = this.models
    const entry = models?.manifest.models.bandwidth
    if (models == null || entry == null) return null
    const alpha = (entry.baselineParams as { ewmaAlpha?: number } | undefined)?.ewmaAlpha ?? 0.3
    const guard = this.guards.guard('bandwidth', { baseline: 'ewma' }, entry.bySource)
    return new BandwidthPlanner({ forecast: async (h) => (await forecastBandwidth(models, [h])).mbps[0], ewmaAlpha: alpha, guard })
  }

  /** Stops accepting work, then closes the parts in reverse order of start. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.metricsServer?.close()
    await this.api?.stop()
    this.healthMonitor?.stop()
    this.reliability?.stop()
    this.workloads?.stop()
    this.timeout?.stop()
    this.consensus?.stop()
    await this.net?.stop()
    await this.dwcp?.close()
    await this.models?.close()
    this.storage?.close()
    removeRuntime(this.opts.dataDir, process.pid)
  }

  // Validators listen where genesis says they can be reached, unless told otherwise; observers anywhere.
  private listenAddrs (): string[] {
    if (this.opts.listen.length > 0) return this.opts.listen
    const self = this.genesis.validators.find(v => v.peerId === this.identity.peerId)
    if (self == null) return ['/ip4/0.0.0.0/tcp/0']
    const port = /\/tcp\/(\d+)/.exec(self.addr)?.[1] ?? '0'
    return [self.addr.startsWith('/ip4/127.') ? self.addr : `/ip4/0.0.0.0/tcp/${port}`]
  }

  peers (): PeerJson[] {
    return (this.net?.peers() ?? []).map(p => ({
      id: p.id,
      addr: p.addr,
      connected: p.connected,
      latencyMs: p.latencyMs,
      msgsPerS: p.msgsPerS,
      tier: this.dwcp?.peer(p.id).tier ?? null,
      reliability: this.reliability?.score(p.id) ?? null,
      circuit: this.dwcp?.breakers.status(p.id) ?? null,
      validator: p.validator,
      consensus: p.channels[CONSENSUS_PROTOCOL_ID] ?? 'closed'
    }))
  }

  /** Fresh checks of every part (they are cheap), so `health` never reports a stale state. */
  async health (): Promise<HealthJson> {
    if (this.healthMonitor == null) return { status: 'down', components: [] }
    await this.healthMonitor.checkAll()
    return healthJson(this.healthMonitor)
  }

  private reachability (): { reachable: number, n: number, f: number } {
    const n = this.genesis.validators.length
    const reachable = this.peers().filter(p => p.validator && p.connected).length + (this.role === 'validator' ? 1 : 0)
    return { reachable, n, f: faultTolerance(n) }
  }

  private durability (): StatusJson['storage'] {
    const d = this.storage?.durabilitySettings()
    if (d == null) return null
    return { journalMode: d.journalMode, synchronous: (['off', 'normal', 'full', 'extra'] as const)[d.synchronous] ?? String(d.synchronous) }
  }

  async status (): Promise<StatusJson> {
    const n = this.genesis.validators.length
    const c = this.consensus?.status()
    const figures = this.consensus?.figures()
    const head = this.storage?.head()
    return {
      nodeId: this.identity.peerId,
      genesisHash: this.genesisHash,
      cluster: this.genesis.cluster,
      protocol: this.genesis.protocol,
      n,
      f: faultTolerance(n),
      role: this.role,
      height: head?.height ?? 0,
      // DAG protocols have rounds, not views (CLI.md: a field a protocol does not have is null).
      view: c == null || c.round != null ? null : c.view,
      leader: c?.primary ?? null,
      round: c?.round ?? null,
      dagSize: c?.dagSize ?? null,
      lastAnchor: c?.lastAnchor ?? null,
      // Protocol-specific figures (ProBFT: quorum and sample sizes; T-PBFT: epoch, group, trust ranking, failovers).
      protocolExtra: c?.extra ?? null,
      stateRoot: head == null ? null : Buffer.from(head.stateRoot).toString('hex'),
      committedTx: figures?.committedTx ?? 0,
      tps1m: figures?.tps1m ?? 0,
      commitLatencyMs: { p50: figures?.p50 ?? null, p99: figures?.p99 ?? null },
      mempool: c?.mempool ?? 0,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      listen: this.net?.listenAddrs() ?? [],
      storage: this.durability(),
      peers: this.peers(),
      health: await this.health(),
      events: this.events.recent(),
      memory: memoryMiB(),
      models: this.guards.states(),
      consensusTimeout: this.timeout?.state() ?? null
    }
  }
}

/** The configured listen addresses with a port the OS picked (tcp/0) replaced by the one it bound. */
function boundListen (configured: readonly string[], bound: readonly string[]): string[] {
  const port = bound.map(a => /\/tcp\/(\d+)/.exec(a)?.[1]).find(p => p != null && p !== '0')
  return configured.map(a => port != null ? a.replace(/\/tcp\/0(?=\/|$)/, `/tcp/${port}`) : a)
}

// A node keeps the genesis it first started with in its data dir, so a restart needs only --data-dir; a
// different genesis later is refused rather than silently joining another cluster.
function resolveGenesis (opts: NodeOptions): Genesis {
  const stored = join(opts.dataDir, DATA_FILES.genesis)
  if (opts.genesis != null) {
    const genesis = readGenesis(opts.genesis)
    if (existsSync(stored)) {
      const current = readGenesis(stored)
      if (genesisHash(current) !== genesisHash(genesis)) {
        throw new NovacronError('config', `data dir ${opts.dataDir} already belongs to cluster ${current.cluster} (genesis ${genesisHash(current).slice(0, 12)}); ${opts.genesis} is a different genesis (use a fresh --data-dir)`)
      }
    } else {
      copyFileSync(opts.genesis, stored)
    }
    return genesis
  }
  if (!existsSync(stored)) throw new NovacronError('config', `no genesis for this node: pass --genesis FILE on first start (data dir ${opts.dataDir})`)
  return readGenesis(stored)
}

function memoryMiB (): { rssMiB: number, heapUsedMiB: number, heapTotalMiB: number } {
  const m = process.memoryUsage()
  const mib = (b: number): number => Math.round(b / 2 ** 20 * 10) / 10
  return { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal) }
}
