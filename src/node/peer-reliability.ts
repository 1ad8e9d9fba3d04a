// Scores each validator with the shipped reliability model from the availability this node observed:
// a peer's outages are the spans it was disconnected. Scores are refreshed every minute off the main
// thread (the model runs on the ml worker); `reliability` in `peers` is 1 - P(unavailable within 24 h).
// The logistic-regression baseline scores every peer too, and the guard keeps whichever has predicted
// this node's own peers' failures better over the last refreshes in charge.
import { HORIZON_S, HistoryIndex, encodeReliability, type NodeTrace } from '../ml/features/reliability.ts'
import type { ModelGuard } from '../ml/guard.ts'
import type { ModelRegistry } from '../ml/registry.ts'
import { logisticBaseline } from '../ml/tasks/reliability.ts'
import type { LinearModel } from '../ml/train/linear.ts'
import type { Logger } from '../log/index.ts'

const REFRESH_MS = 60_000

interface PeerHistory { outages: Array<[number, number]>, downSince: number | null }

/** Both predictions made at one refresh, to be scored at the next against what the peer did. */
interface Pending { at: number, model: number, baseline: number, outagesBefore: number }

/**
 * Log loss of a 24 h probability over the `seconds` that followed it (constant hazard), against whether an
 * outage started in them: a proper score on a stream the node observes every refresh, not a day later.
 */
export function intervalLogLoss (p24h: number, seconds: number, failed: boolean): number {
  const q = 1 - Math.pow(1 - Math.min(Math.max(p24h, 1e-9), 1 - 1e-9), seconds / HORIZON_S)
  const c = Math.min(Math.max(q, 1e-12), 1 - 1e-12)
  return failed ? -Math.log(c) : -Math.log(1 - c)
}

export class PeerReliability {
  private readonly registry: ModelRegistry
  private readonly logger: Logger
  private readonly observedFrom = Date.now() / 1000
  private readonly peers = new Map<string, PeerHistory>()
  private readonly scores = new Map<string, number>()
  private readonly pending = new Map<string, Pending>()
  private readonly guard: ModelGuard | null
  private readonly baseline: LinearModel | null
  private timer: NodeJS.Timeout | null = null
  private failed = false

  constructor (peerIds: readonly string[], modules: { registry: ModelRegistry, logger: Logger, guard?: ModelGuard }) {
    this.registry = modules.registry
    this.logger = modules.logger
    this.guard = modules.guard ?? null
    this.baseline = (this.registry.manifest.models.reliability?.baselineParams?.logisticRegression as LinearModel | undefined) ?? null
    // Until a peer is first seen connected, it counts as down since observation began.
    for (const id of peerIds) this.peers.set(id, { outages: [], downSince: this.observedFrom })
  }

  start (): void {
    this.timer = setInterval(() => { void this.refresh() }, REFRESH_MS).unref()
    setTimeout(() => { void this.refresh() }, 5_000).unref()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
  }

  connected (id: string): void {
    const p = this.peers.get(id)
    if (p == null || p.downSince == null) return
    p.outages.push([p.downSince, Date.now() / 1000])
    p.downSince = null
  }

  disconnected (id: string): void {
    const p = this.peers.get(id)
    if (p != null && p.downSince == null) p.downSince = Date.now() / 1000
  }

  /** 1 - P(fail within 24 h), or null before the first scoring (or when the model cannot run). */
  score (id: string): number | null {
    return this.scores.get(id) ?? null
  }

  /** Outages that started so far, the current one included. */
  private outagesStarted (p: PeerHistory): number {
    return p.outages.length + (p.downSince != null ? 1 : 0)
  }

  /** One refresh: score the last predictions against what each peer did since, then predict again. */
  async refresh (now: number = Date.now() / 1000): Promise<void> {
    if (this.failed) return
    const ids = [...this.peers.keys()]
    for (const id of ids) {
      const before = this.pending.get(id)
      const p = this.peers.get(id) as PeerHistory
      if (before == null || this.guard == null || now <= before.at) continue
      const failed = this.outagesStarted(p) > before.outagesBefore
      this.guard.record(intervalLogLoss(before.model, now - before.at, failed), intervalLogLoss(before.baseline, now - before.at, failed))
    }
    const rows = ids.map(id => {
      const p = this.peers.get(id) as PeerHistory
      const outages = p.downSince == null ? p.outages : [...p.outages, [p.downSince, now] as [number, number]]
      const trace: NodeTrace = { node: id, observedFrom: this.observedFrom, observedTo: now, outages }
      return encodeReliability(new HistoryIndex(trace).features(now))
    })
    try {
      const out = await this.registry.runRows('reliability', rows, 'pFail')
      ids.forEach((id, i) => {
        const p = this.peers.get(id) as PeerHistory
        const model = out[i][0]
        const baseline = this.baseline != null ? logisticBaseline(this.baseline, rows[i]) : model
        this.pending.set(id, { at: now, model, baseline, outagesBefore: this.outagesStarted(p) })
        const chosen = this.guard != null ? this.guard.pick(model, baseline) : model
        this.scores.set(id, Math.round((1 - chosen) * 1000) / 1000)
      })
    } catch (err) {
      this.failed = true
      this.logger.warn({ err: String(err) }, 'reliability model unavailable; peers show no reliability score')
    }
  }
}
