// The node's part in workloads: it registers this host with its capacity, sends heartbeats (the registry's
// liveness), starts and completes the workloads placed on it, and, when it is the proposer, proposes a
// `workload.place` for each pending workload and each one stranded on a host that is no longer live.
// Proposals are advisory: the state machine re-checks feasibility on every replica.
import { availableParallelism, totalmem } from 'node:os'
import { statfsSync } from 'node:fs'
import { biddingPolicy, HEURISTICS, type Amount, type HostView, type Policy } from '../alloc/policies.ts'
import { DEFAULT_PLACEMENT_POLICY, type Genesis } from '../config/genesis.ts'
import type { HostCapacity } from '../config/settings.ts'
import type { Logger } from '../log/index.ts'
import {
  DEFAULT_LIVENESS_BEATS, liveAt, nodeHeartbeatTx, nodeJoinTx, nodeUpdateTx, workloadPlaceTx, workloadStatusTx,
  type NodeInfo, type Storage, type WorkloadRecord
} from '../state/index.ts'
import type { ConsensusHost } from './consensus-host.ts'

export const HEARTBEAT_MS = 2000

/**
 * How often each host beats in a cluster of n validators: HEARTBEAT_MS up to 4 hosts, then longer in
 * proportion, so the cluster commits about two heartbeats a second whatever its size. Heartbeats are
 * consensus transactions: at 2 s each, 16 hosts made 8 a second, and an idle 16-node ProBFT devnet
 * (every decision costs each replica tens of ECVRF checks) spent both cores ordering them. Liveness is
 * counted in cluster-wide beats (livenessBeats), so a host still counts as down after missing the same
 * share of its own beats.
 */
export function heartbeatIntervalMs (validators: number): number {
  return HEARTBEAT_MS * Math.max(1, Math.ceil(validators / 4))
}

function keep (list: number[], v: number): void {
  list.push(v)
  if (list.length > 10_000) list.splice(0, 5_000)
}

function pct (list: readonly number[], q: number): number | null {
  if (list.length === 0) return null
  const s = [...list].sort((a, b) => a - b)
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 1000) / 1000
}

/** vCPUs, memory and the data dir's disk as the OS reports them, with any configured field instead. */
export function hostCapacity (dataDir: string, configured: Partial<HostCapacity> | null | undefined): HostCapacity {
  let diskGiB = 0
  try {
    const fs = statfsSync(dataDir)
    diskGiB = Math.floor((fs.blocks * fs.bsize) / 2 ** 30)
  } catch {
    // no statfs for this file system: disk 0 unless configured
  }
  return {
    cpu: configured?.cpu ?? availableParallelism(),
    memMiB: configured?.memMiB ?? Math.floor(totalmem() / 2 ** 20),
    diskGiB: configured?.diskGiB ?? diskGiB
  }
}

/** The hosts as a policy sees them (ordered by id), from committed state. */
export function hostViews (storage: Storage, livenessBeats: number): HostView[] {
  const { beats, hosts } = storage.listHosts()
  return hosts.map(({ node, host }) => ({
    id: node.id,
    capacity: { cpu: node.cpu, memMiB: node.memMiB, diskGiB: node.diskGiB },
    used: { cpu: host.cpu, memMiB: host.memMiB, diskGiB: host.diskGiB },
    live: liveAt(host.lastBeat, beats, livenessBeats)
  }))
}

export interface WorkloadAgentOptions {
  self: string
  genesis: Genesis
  capacity: HostCapacity
  addresses: string[]
  /** when genesis names `maddpg`: the shipped actor's bids through ONNX Runtime (src/ml's worker); without
   * it (no model), best-fit proposes */
  learnedBids?: AsyncBidder | null
}

/** Bids for one decision, computed off the event loop (ONNX Runtime in src/ml's worker thread). */
export type AsyncBidder = (request: Amount, hosts: readonly HostView[]) => Promise<ArrayLike<number>>

export class WorkloadAgent {
  readonly policy: Policy
  readonly livenessBeats: number
  private readonly o: WorkloadAgentOptions
  private readonly consensus: ConsensusHost
  private readonly storage: Storage
  private readonly logger: Logger
  private timer: NodeJS.Timeout | null = null
  private offCommit: (() => void) | null = null
  private passQueued = false
  private passRunning = false
  private readonly bids: AsyncBidder | null
  /** workloads with a placement of ours in flight, so one commit does not trigger a second proposal */
  private readonly proposing = new Set<string>()
  private readonly reporting = new Set<string>()
  /** when this node first saw a workload running, for one whose starting batch is no longer in its log */
  private readonly seenRunning = new Map<string, number>()
  /** decision times of the placement policy and submit-to-commit times of our placements (ms), latest 5,000 */
  readonly decisionMs: number[] = []
  readonly placeCommitMs: number[] = []

  constructor (o: WorkloadAgentOptions, c: { consensus: ConsensusHost, storage: Storage, logger: Logger }) {
    this.o = o
    this.consensus = c.consensus
    this.storage = c.storage
    this.logger = c.logger
    this.livenessBeats = o.genesis.placement?.livenessBeats ?? DEFAULT_LIVENESS_BEATS
    const name = o.genesis.placement?.policy ?? DEFAULT_PLACEMENT_POLICY
    this.bids = name === 'maddpg' ? (o.learnedBids ?? null) : null
    this.policy = name === 'maddpg' && this.bids != null ? { name: 'maddpg', choose: () => -1 } : HEURISTICS[name === 'maddpg' ? 'best-fit' : name]
    if (name === 'maddpg' && this.bids == null) this.logger.warn('placement policy maddpg: no placement model loaded; proposing with best-fit')
  }

  /** What `GET /v1/placement` reports: the policy and this node's measured decision and commit times. */
  stats (): { policy: string, proposer: boolean, decisions: number, decisionMs: { p50: number | null, p99: number | null }, placements: number, placeCommitMs: { p50: number | null, p99: number | null } } {
    return {
      policy: this.policy.name,
      proposer: this.isProposer(),
      decisions: this.decisionMs.length,
      decisionMs: { p50: pct(this.decisionMs, 0.5), p99: pct(this.decisionMs, 0.99) },
      placements: this.placeCommitMs.length,
      placeCommitMs: { p50: pct(this.placeCommitMs, 0.5), p99: pct(this.placeCommitMs, 0.99) }
    }
  }

  start (): void {
    this.tick()
    this.timer = setInterval(() => this.tick(), heartbeatIntervalMs(this.o.genesis.validators.length))
    // A placement follows the commit that made it possible, not the next heartbeat.
    this.offCommit = this.consensus.onCommit(() => this.queuePass())
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.offCommit?.()
    this.timer = null
  }

  private send (tx: Uint8Array, what: string, done?: () => void): void {
    const t0 = performance.now()
    try {
      const [p] = this.consensus.submit([tx])
      void p.committed.then((r) => {
        if (what === 'place' && r.ok) keep(this.placeCommitMs, performance.now() - t0)
        done?.()
        if (!r.ok && r.height >= 0) this.logger.debug({ what, error: r.error }, 'workload tx applied with an error')
      })
    } catch (err) {
      done?.()
      this.logger.debug({ what, err: String(err) }, 'workload tx not admitted')
    }
  }

  private tick (): void {
    const me = this.storage.getNode(this.o.self)
    const info: NodeInfo = { id: this.o.self, ...this.o.capacity, addresses: this.o.addresses, labels: {} }
    if (me == null) this.send(nodeJoinTx(info), 'join')
    else if (me.cpu !== info.cpu || me.memMiB !== info.memMiB || me.diskGiB !== info.diskGiB) this.send(nodeUpdateTx(info, { nonce: 'random' }), 'update')
    if (me != null) this.send(nodeHeartbeatTx(this.o.self), 'heartbeat')
    this.runMine()
    this.queuePass()
  }

  /** Starts what was placed here and completes what ran its duration (by the commit times of this log). */
  private runMine (): void {
    const now = Date.now()
    for (const w of this.storage.listWorkloads()) {
      if (w.node !== this.o.self || this.reporting.has(w.id)) continue
      if (w.status === 'placed') this.report(w, 'running', '')
      else if (w.status === 'running' && w.durationS > 0) {
        let started = this.storage.getBatch(w.startedHeight)?.committedAt ?? this.seenRunning.get(w.id)
        if (started === undefined) { started = now; this.seenRunning.set(w.id, now) }
        if (now - started >= w.durationS * 1000) { this.seenRunning.delete(w.id); this.report(w, 'completed', `ran ${w.durationS} s`) }
      }
    }
  }

  private report (w: WorkloadRecord, status: 'running' | 'completed', reason: string): void {
    this.reporting.add(w.id)
    this.send(workloadStatusTx(w.id, status, reason, { nonce: 'random' }), status, () => this.reporting.delete(w.id))
  }

  private queuePass (): void {
    if (this.passQueued) return
    this.passQueued = true
    setImmediate(() => {
      this.passQueued = false
      if (this.passRunning) return
      this.passRunning = true
      this.placePass().catch((err) => this.logger.warn({ err: String(err) }, 'placement pass failed')).finally(() => { this.passRunning = false })
    })
  }

  /** PBFT-style protocols: the primary proposes; DAG protocols (no primary): the validator whose turn the height gives. */
  isProposer (): boolean {
    const s = this.consensus.status()
    const ids = this.consensus.validators.ids
    const proposer = s.primary ?? ids[Math.floor(s.height / 4) % ids.length]
    return proposer === this.o.self
  }

  private async placePass (): Promise<void> {
    if (!this.isProposer()) return
    const hosts = hostViews(this.storage, this.livenessBeats)
    const dead = new Set(hosts.filter((h) => !h.live).map((h) => h.id))
    const todo = this.storage.listWorkloads()
      .filter((w) => !this.proposing.has(w.id) && (w.status === 'pending' || ((w.status === 'placed' || w.status === 'running') && w.node !== null && (dead.has(w.node) || !hosts.some((h) => h.id === w.node)))))
      .sort((a, b) => a.submittedHeight - b.submittedHeight || (a.id < b.id ? -1 : 1))
    for (const w of todo) {
      const t0 = performance.now()
      const b = this.bids == null ? null : await this.bids(w, hosts)
      const i = b == null ? this.policy.choose(w, hosts) : biddingPolicy('maddpg', () => b).choose(w, hosts)
      keep(this.decisionMs, performance.now() - t0)
      if (i < 0) continue
      // What this pass proposes counts as used for the rest of the pass.
      const h = hosts[i]
      h.used = { cpu: h.used.cpu + w.cpu, memMiB: h.used.memMiB + w.memMiB, diskGiB: h.used.diskGiB + w.diskGiB }
      this.proposing.add(w.id)
      this.send(workloadPlaceTx(w.id, h.id, { nonce: 'random' }), 'place', () => this.proposing.delete(w.id))
    }
  }
}
