// Runs one scenario: n nodes, each the shared Driver around the scenario's protocol, over a virtual network and
// clock. Everything random comes from the scenario's seed, so a run is a pure function of its scenario.
import { sha256, toHex } from '../../crypto/hash.ts'
import { ed25519FromSeed } from '../../crypto/ed25519.ts'
import { Ed25519Signer, Ed25519Verifier, FakeSigner, FakeVerifier } from '../../crypto/signer.ts'
import type { Signer, Verifier } from '../../crypto/signer.ts'
import { batchBytes, isMetaTx, txKey } from '../core/batch.ts'
import type { Batch } from '../core/batch.ts'
import { ValidatorSet } from '../core/validators.ts'
import type { ValidatorId } from '../core/validators.ts'
import { CountingMetrics } from '../driver/counting-metrics.ts'
import { Driver } from '../driver/driver.ts'
import type { Clock, WalEntry } from '../driver/interfaces.ts'
import type { TimerId } from '../core/protocol.ts'
import type { Message } from '../core/message.ts'
import { protocolModule } from '../registry.ts'
import { buildNode, checkpointIntervalOf } from './protocols.ts'
import type { ProtocolBuilds } from './protocols.ts'
import { byzantine, makeAdversary } from './adversary.ts'
import { simNodeIds } from './scenario.ts'
import type { Adversary, AdversaryContext } from './adversary.ts'
import { checkAgreement, checkEpochConfigs, checkLiveness, checkValidity } from './checkers.ts'
import type { NodeRecord, RunRecord, TxRecord } from './checkers.ts'
import { EventQueue } from './event-queue.ts'
import { measuredLatency, syntheticLatency } from './latency.ts'
import type { LatencyModel } from './latency.ts'
import { Prng } from './prng.ts'
import { ResourceMeter } from './resources.ts'
import type { Scenario } from './scenario.ts'
import { SimStateMachine } from './state-machine.ts'
import { TraceHash } from './trace.ts'

/** `create` builds each node's protocol instead of the module's factory (planted-bug builds). */
export interface SimOptions extends ProtocolBuilds {
  /** The WonderNetwork pings CSV; synthetic latency when absent. */
  readonly pingsCsv?: string | null
  /** Replaces the scenario's adversary on its faulty nodes (the resource adversaries, planted bugs). */
  readonly adversary?: (ctx: AdversaryContext) => Adversary | undefined
  /** Sees every message delivered and every WAL record written (the fuzz corpus is cut from these). */
  readonly tap?: { readonly wire?: (bytes: Uint8Array) => void, readonly wal?: (bytes: Uint8Array) => void }
  /** Rewrites the duration of a timer a node's protocol sets (the adaptive view-change / leader timeout). */
  readonly timerMs?: (node: number, id: TimerId, ms: number) => number
  /** 'normal': a node's state commits become durable only with its next WAL append (the node's SQLite
   *  state at synchronous=NORMAL in the WAL's file, whose fsync covers every earlier commit), and a crash
   *  drops those made since; the node must get them back (same roots) from its WAL and its peers.
   *  Default 'full': the state survives a crash whole. */
  readonly stateSync?: 'full' | 'normal'
  /** Sees each transaction a client hands to a node, and each batch a node applies (keys, virtual time). */
  readonly observer?: {
    readonly submitted?: (node: number, key: string, now: number) => void
    readonly applied?: (node: number, keys: readonly string[], now: number) => void
  }
}

export interface SimResult {
  readonly scenario: Scenario
  readonly traceHash: string
  /** Agreement, validity and liveness violations (determinism needs two runs: see runChecked). */
  readonly violations: string[]
  readonly stats: {
    readonly latency: string
    readonly events: number
    readonly endTimeMs: number
    readonly txsDone: number
    /** Fewest transactions any honest node applied. */
    readonly minApplied: number
    readonly maxView: number
    readonly viewChanges: number
    readonly stateTransfers: number
    /** State commits crashes dropped (stateSync 'normal'), over the honest nodes. */
    readonly droppedStateCommits: number
    readonly dropped: Readonly<Record<string, number>>
    /** Submission to the (f+1)-th honest apply, over the transactions that committed. */
    /** Protocol log events counted over the honest nodes (equivocations seen, leader timeouts, ...). */
    readonly protocolEvents: Readonly<Record<string, number>>
    readonly latencyP50Ms: number
    readonly latencyMaxMs: number
    /** Peaks over the honest nodes: messages held, held messages re-examined in vain and messages sent for one received. */
    readonly resources: { readonly held: number, readonly wastedScans: number, readonly sends: number }
    /** Round-trip times over all links as a node's pings would see them (sampled after the run). */
    readonly rttMs: { readonly p50: number, readonly p90: number }
  }
}

/** How long the run continues after the last transaction committed, so laggards can catch up. */
const DRAIN_MS = 3000
const GENESIS = sha256(new TextEncoder().encode('novacron/sim/genesis-file'))

interface NodeState {
  readonly index: number
  readonly id: ValidatorId
  readonly honest: boolean
  readonly sm: SimStateMachine
  wal: WalEntry[]
  driver: Driver<Message> | undefined
  adversary: Adversary | undefined
  up: boolean
  readonly metrics: CountingMetrics
  readonly record: { commits: Map<number, string>, committedTxs: Map<number, string[]>, roots: Map<number, string> }
  maxView: number
}

interface ClientTx { readonly tx: Uint8Array, readonly key: string, readonly submittedAt: number, lastNode: number, readonly appliedBy: Set<number>, doneAt: number | undefined }

interface Timer { cancelled: boolean }

export function runScenario (scenario: Scenario, options: SimOptions = {}): SimResult {
  return new Simulation(scenario, options).run()
}

class Simulation {
  readonly #s: Scenario
  readonly #o: SimOptions
  readonly #queue = new EventQueue()
  readonly #rng: Prng
  readonly #netRng: Prng
  readonly #latency: LatencyModel
  readonly #validators: ValidatorSet
  readonly #nodes: NodeState[] = []
  readonly #byId = new Map<ValidatorId, NodeState>()
  readonly #signers: Signer[]
  readonly #verifier: Verifier
  readonly #trace = new TraceHash()
  /** Re-executions (after a crash dropped state commits) that differ from the first: safety violations. */
  readonly #reexecuted: string[] = []
  readonly #txs: ClientTx[] = []
  readonly #txByKey = new Map<string, ClientTx>()
  readonly #honestQuorumForDone: number
  readonly #meter: ResourceMeter
  #now = 0
  #done = 0
  #endAt = Infinity

  constructor (scenario: Scenario, options: SimOptions) {
    this.#s = scenario
    this.#o = options
    this.#rng = new Prng(scenario.seed)
    this.#netRng = this.#rng.fork(1)
    const n = scenario.n
    const ids = simNodeIds(n)
    if (scenario.realSignatures) {
      const keys = ids.map((_, i) => ed25519FromSeed(sha256(new TextEncoder().encode(`sim/${scenario.seed}/${i}`))))
      this.#signers = ids.map((id, i) => new Ed25519Signer(id, keys[i]))
      this.#validators = new ValidatorSet(ids.map((id, i) => ({ id, publicKey: keys[i].publicKeyRaw })))
      this.#verifier = new Ed25519Verifier(this.#validators.publicKeys())
    } else {
      this.#signers = ids.map((id) => new FakeSigner(id))
      this.#validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
      this.#verifier = new FakeVerifier()
    }
    const latencyRng = this.#rng.fork(2)
    this.#latency = options.pingsCsv != null ? measuredLatency(options.pingsCsv, n, latencyRng) : syntheticLatency(n, latencyRng)
    this.#honestQuorumForDone = this.#validators.quorums.weak
    this.#meter = new ResourceMeter(n)
    const snapshotEvery = checkpointIntervalOf(scenario.protocol, scenario.params)
    for (let i = 0; i < n; i++) {
      const node: NodeState = {
        index: i,
        id: ids[i],
        honest: !scenario.byzantine.includes(i) || scenario.adversary === 'none',
        sm: new SimStateMachine(snapshotEvery),
        wal: [],
        driver: undefined,
        adversary: undefined,
        up: false,
        metrics: new CountingMetrics(),
        record: { commits: new Map(), committedTxs: new Map(), roots: new Map() },
        maxView: 0
      }
      this.#nodes.push(node)
      this.#byId.set(node.id, node)
    }
  }

  run (): SimResult {
    for (const node of this.#nodes) this.#boot(node, true)
    this.#scheduleFaults()
    this.#scheduleClients()
    let events = 0
    for (;;) {
      const at = this.#queue.peekTime()
      if (at === Infinity || at > this.#s.maxTimeMs || at > this.#endAt) break
      const e = this.#queue.pop()
      if (e === undefined) break
      this.#now = e.at
      e.run()
      events++
    }
    return this.#result(events)
  }

  #at (delay: number, run: () => void): void { this.#queue.push(this.#now + Math.max(0, delay), run) }

  // ---- nodes ----

  #boot (node: NodeState, fresh: boolean): void {
    const s = this.#s
    const rng = this.#rng.fork(100 + node.index)
    const built = buildNode(s.protocol, { self: node.id, validators: this.#validators, signer: this.#signers[node.index], verifier: this.#verifier, genesisHash: GENESIS }, s.params, this.#o)
    const honestProtocol = built.protocol
    // A crash-mid-broadcast node comes back honest; other adversaries stay faulty.
    const faulty = !node.honest && (fresh || s.adversary !== 'crash-mid-broadcast')
    const ctx: AdversaryContext = {
      self: node.id,
      others: this.#validators.others(node.id),
      protocol: s.protocol,
      family: protocolModule(s.protocol).sim.adversaryFamily,
      validators: this.#validators,
      signer: built.signer,
      genesisHash: GENESIS,
      timeoutMs: built.timeoutMs,
      status: () => honestProtocol.status(),
      rng,
      now: () => this.#now,
      crash: () => this.#crash(node, this.#now + rng.range(1000, 4000))
    }
    node.adversary = faulty ? (this.#o.adversary !== undefined ? this.#o.adversary(ctx) : makeAdversary(s.adversary, ctx)) : undefined
    const protocol = node.adversary === undefined ? honestProtocol : byzantine(honestProtocol, node.adversary)
    const clock: Clock = {
      now: () => this.#now,
      setTimer: (ms, fire) => {
        const t: Timer = { cancelled: false }
        this.#at(ms, () => { if (!t.cancelled) fire() })
        return t
      },
      clearTimer: (h) => { (h as Timer).cancelled = true }
    }
    const driver = new Driver<Message>({
      self: node.id,
      validators: this.#validators,
      protocol,
      verifier: this.#verifier,
      genesisHash: GENESIS,
      transport: { send: (to, bytes) => this.#send(node, to, bytes) },
      clock,
      wal: {
        append: (entries, pruneBelow) => {
          node.sm.synced()
          // a record and the body it names are bounded apart (a batch fits a record on its own)
          for (const e of entries) {
            this.#meter.persisted(node.index, e.bytes.byteLength)
            if (e.body !== undefined) this.#meter.persisted(node.index, batchBytes(e.body.txs))
          }
          if (pruneBelow !== undefined) node.wal = node.wal.filter((e) => e.seq === 0 || e.seq >= pruneBelow)
          node.wal.push(...entries)
          for (const e of entries) this.#o.tap?.wal?.(e.bytes)
        }
      },
      executor: { execute: (seq, batch) => this.#execute(node, seq, batch) },
      stateSync: { fetch: (from, checkpoint, done) => this.#fetchState(node, from, checkpoint.seq, checkpoint.stateRoot, done) },
      metrics: this.#meter.watch(node.index, node.metrics),
      ...(this.#o.timerMs !== undefined ? { timerMs: (id: TimerId, ms: number) => (this.#o.timerMs as NonNullable<SimOptions['timerMs']>)(node.index, id, ms) } : {})
    })
    node.driver = driver
    node.up = true
    // the in-memory WAL keeps each entry's body with it, so the body store is the bodies its entries hold
    const bodies = new Map<string, readonly Uint8Array[]>()
    for (const e of node.wal) if (e.body !== undefined) bodies.set(toHex(e.body.id), e.body.txs)
    driver.start(node.wal.map((e) => e.bytes), node.sm.checkpoint(), (digest) => bodies.get(toHex(digest)))
  }

  #crash (node: NodeState, restartAt: number | undefined): void {
    if (!node.up) return
    node.up = false
    node.driver?.stop()
    node.driver = undefined
    if (this.#o.stateSync === 'normal') node.sm.dropUnsynced()
    this.#trace.add(3, node.index, this.#now)
    if (restartAt !== undefined) this.#queue.push(restartAt, () => this.#boot(node, false))
  }

  #execute (node: NodeState, seq: number, batch: Batch): Uint8Array {
    const root = node.sm.execute(seq, batch)
    // Consensus metadata (T-PBFT's evidence) is the protocol's, not a client's transaction.
    const keys = batch.txs.filter((tx) => !isMetaTx(tx)).map(txKey)
    // a commit a crash dropped is executed again: it must be the same batch to the same root
    const before = node.record.commits.get(seq)
    if (before !== undefined && before !== toHex(batch.id)) this.#reexecuted.push(`agreement: node ${node.index} executed seq ${seq} again with another batch after losing its state`)
    const rootBefore = node.record.roots.get(seq)
    if (rootBefore !== undefined && before !== undefined && rootBefore !== toHex(root)) this.#reexecuted.push(`agreement: node ${node.index} reached another root at seq ${seq} executing it again`)
    node.record.commits.set(seq, toHex(batch.id))
    node.record.committedTxs.set(seq, keys)
    node.record.roots.set(seq, toHex(root))
    node.maxView = Math.max(node.maxView, node.driver?.protocol.status().view ?? 0)
    this.#trace.add(4, node.index, seq, batch.txs.length)
    this.#trace.addBytes(batch.id)
    if (node.honest) for (const k of keys) this.#applied(node, k)
    this.#o.observer?.applied?.(node.index, keys, this.#now)
    return root
  }

  #applied (node: NodeState, key: string): void {
    const tx = this.#txByKey.get(key)
    if (tx === undefined || tx.doneAt !== undefined) return
    tx.appliedBy.add(node.index)
    if (tx.appliedBy.size < this.#honestQuorumForDone) return
    tx.doneAt = this.#now
    if (++this.#done === this.#s.txs) this.#endAt = Math.max(this.#now, this.#s.stabilizeAtMs) + DRAIN_MS
  }

  #fetchState (node: NodeState, from: readonly ValidatorId[], seq: number, root: Uint8Array, done: (ok: boolean) => void): void {
    for (const id of from) {
      const peer = this.#byId.get(id)
      if (peer === undefined || !peer.up || !this.#reachable(peer.index, node.index)) continue
      const snap = peer.sm.snapshot(seq)
      if (snap === undefined || toHex(snap.root) !== toHex(root)) continue
      const delay = 2 * this.#latency.sample(node.index, peer.index, this.#netRng) + 20
      this.#at(delay, () => {
        if (!node.up || node.sm.height >= seq) return done(false)
        node.sm.install(seq, snap)
        node.record.roots.set(seq, toHex(snap.root))
        this.#trace.add(5, node.index, seq)
        done(true)
      })
      return
    }
    done(false)
  }

  // ---- network ----

  #reachable (a: number, b: number): boolean {
    for (const p of this.#s.partitions) {
      if (this.#now < p.at || this.#now >= p.heal) continue
      const ga = p.groups.findIndex((g) => g.includes(a))
      const gb = p.groups.findIndex((g) => g.includes(b))
      if (ga !== gb) return false
    }
    return true
  }

  #send (node: NodeState, to: readonly ValidatorId[], bytes: Uint8Array): void {
    this.#meter.sent(node.index, to.length, bytes.byteLength)
    const out = node.adversary?.outbound?.(to, bytes) ?? [{ to, bytes, delayMs: 0 }]
    const unstable = this.#now < this.#s.stabilizeAtMs
    const rng = this.#netRng
    for (const o of out) {
      for (const id of o.to) {
        const target = this.#byId.get(id)
        if (target === undefined || !this.#reachable(node.index, target.index)) continue
        if (unstable && rng.chance(this.#s.loss)) continue
        const copies = unstable && rng.chance(this.#s.duplicate) ? 2 : 1
        for (let c = 0; c < copies; c++) {
          let delay = o.delayMs + this.#linkDelay(node.index, target.index, o.bytes.byteLength, rng)
          if (unstable && rng.chance(this.#s.reorder)) delay += rng.range(0, 200)
          this.#at(delay, () => this.#deliver(node.index, target, o.bytes))
        }
      }
    }
  }

  /** One-way delay of a message: the latency model, then the scenario's link conditions when it has them. */
  #linkDelay (a: number, b: number, bytes: number, rng: Prng): number {
    const base = this.#latency.sample(a, b, rng)
    const l = this.#s.links
    if (l === undefined) return base
    let delay = base * l.latencyScale
    if (l.spikeChance > 0 && rng.chance(l.spikeChance)) delay += l.spikeMaxMs !== undefined ? rng.range(l.spikeMinMs ?? 0, l.spikeMaxMs) : -Math.log(1 - rng.float()) * l.spikeMeanMs
    if (l.bytesPerMs > 0) delay += bytes / l.bytesPerMs
    return delay
  }

  #deliver (from: number, target: NodeState, bytes: Uint8Array): void {
    if (!target.up || target.driver === undefined) return
    this.#trace.add(1, from, target.index, this.#now)
    this.#trace.addBytes(bytes)
    target.adversary?.inbound?.(bytes)
    this.#meter.begin(target.index)
    this.#o.tap?.wire?.(bytes)
    target.driver.receive(this.#nodes[from].id, bytes)
    this.#meter.end(target.index, 'message', target.driver?.protocol.status())
  }

  // ---- faults and clients ----

  #scheduleFaults (): void {
    for (const c of this.#s.crashes) {
      const node = this.#nodes[c.node]
      this.#queue.push(c.at, () => this.#crash(node, c.restart))
    }
  }

  #scheduleClients (): void {
    const rng = this.#rng.fork(3)
    const s = this.#s
    // Clients submit in bursts, as a loaded API would, so batches fill as they do in production.
    const bursts = Array.from({ length: Math.max(1, Math.round(s.txs / 12)) }, () => rng.range(100, s.submitUntilMs))
    for (let i = 0; i < s.txs; i++) {
      const at = rng.pick(bursts) + rng.range(0, 20)
      const tag = new TextEncoder().encode(`sim/${s.seed}/tx/${i}/${rng.next().toString(36)}`)
      const tx = s.txBytes === undefined || s.txBytes <= tag.length ? tag : padded(tag, s.txBytes)
      this.#queue.push(at, () => {
        const c: ClientTx = { tx, key: txKey(tx), submittedAt: this.#now, lastNode: -1, appliedBy: new Set(), doneAt: undefined }
        this.#txs.push(c)
        this.#txByKey.set(c.key, c)
        this.#submit(c, rng)
      })
    }
  }

  /** A client sends to one node and, without f + 1 replies in time, retries at another. */
  #submit (c: ClientTx, rng: Prng): void {
    if (c.doneAt !== undefined) return
    let target = rng.int(this.#s.n)
    if (target === c.lastNode) target = (target + 1) % this.#s.n
    c.lastNode = target
    const node = this.#nodes[target]
    if (node.up && node.driver !== undefined) {
      node.driver.submit(c.tx)
      this.#o.observer?.submitted?.(target, c.key, this.#now)
    }
    this.#at(this.#s.clientRetryMs, () => this.#submit(c, rng))
  }

  // ---- result ----

  /** Ping-like samples of every link both ways, from a generator of their own (the run's trace is untouched). */
  #rttStats (): { p50: number, p90: number } {
    const rng = new Prng(this.#s.seed ^ 0x477)
    const rtts: number[] = []
    for (let a = 0; a < this.#s.n; a++) {
      for (let b = 0; b < this.#s.n; b++) {
        if (a === b) continue
        for (let k = 0; k < 4; k++) rtts.push(this.#linkDelay(a, b, 64, rng) + this.#linkDelay(b, a, 64, rng))
      }
    }
    rtts.sort((x, y) => x - y)
    const q = (p: number): number => Math.round((rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))] ?? 0) * 10) / 10
    return { p50: q(0.5), p90: q(0.9) }
  }

  #result (events: number): SimResult {
    const nodes: NodeRecord[] = this.#nodes.map((n) => ({
      index: n.index,
      honest: n.honest,
      commits: n.record.commits,
      committedTxs: n.record.committedTxs,
      roots: n.record.roots,
      applied: n.sm.log,
      epochConfigs: n.metrics.epochConfigs,
      epochConfigChanges: n.metrics.epochConfigChanges
    }))
    const txs: TxRecord[] = this.#txs.map((t) => ({ key: t.key, submittedAt: t.submittedAt, doneAt: t.doneAt }))
    const run: RunRecord = {
      nodes,
      submitted: new Set(this.#txs.map((t) => t.key)),
      txs,
      stabilizeAt: this.#s.stabilizeAtMs,
      livenessBoundMs: this.#s.livenessBoundMs
    }
    if (this.#txs.length < this.#s.txs) {
      // Submissions scheduled past the end never happened; that is a scenario bug, not a protocol one.
      throw new Error(`scenario ended before all ${this.#s.txs} transactions were submitted`)
    }
    const violations = [...this.#reexecuted.slice(0, 3), ...checkAgreement(run), ...checkValidity(run), ...checkLiveness(run), ...checkEpochConfigs(run), ...this.#meter.violations((i) => this.#nodes[i].honest)]
    const honest = this.#nodes.filter((n) => n.honest)
    const dropped: Record<string, number> = {}
    for (const n of this.#nodes) for (const [k, v] of n.metrics.drops) dropped[k] = (dropped[k] ?? 0) + v
    for (const n of honest) if (n.driver !== undefined) n.maxView = Math.max(n.maxView, n.driver.protocol.status().view)
    return {
      scenario: this.#s,
      traceHash: this.#trace.digest(),
      violations,
      stats: {
        latency: this.#latency.source,
        events,
        endTimeMs: Math.round(this.#now),
        txsDone: this.#done,
        minApplied: Math.min(...honest.map((n) => n.sm.log.length)),
        maxView: Math.max(...honest.map((n) => n.maxView)),
        viewChanges: honest.reduce((a, n) => a + (n.metrics.events.get('new-view') ?? 0), 0),
        stateTransfers: honest.reduce((a, n) => a + n.sm.installs, 0),
        droppedStateCommits: honest.reduce((a, n) => a + n.sm.droppedCommits, 0),
        dropped,
        protocolEvents: countEvents(honest.map((n) => n.metrics)),
        ...latencies(this.#txs),
        resources: this.#meter.peaks((i) => this.#nodes[i].honest),
        rttMs: this.#rttStats()
      }
    }
  }
}

function padded (tag: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes).fill(0x2e)
  out.set(tag)
  return out
}

function latencies (txs: readonly ClientTx[]): { latencyP50Ms: number, latencyMaxMs: number } {
  const ms = txs.flatMap((t) => (t.doneAt === undefined ? [] : [t.doneAt - t.submittedAt])).sort((a, b) => a - b)
  return { latencyP50Ms: Math.round(ms[Math.floor(ms.length / 2)] ?? 0), latencyMaxMs: Math.round(ms.at(-1) ?? 0) }
}

function countEvents (metrics: readonly CountingMetrics[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of metrics) for (const [k, v] of m.events) out[k] = (out[k] ?? 0) + v
  return out
}
