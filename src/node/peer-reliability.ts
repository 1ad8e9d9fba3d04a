// Scores each validator with the shipped reliability model from the availability this node observed:
// a peer's outages are the spans it was disconnected. Scores are refreshed every minute off the main
// thread (the model runs on the ml worker); `reliability` in `peers` is 1 - P(unavailable within 24 h).
import { HistoryIndex, encodeReliability, type NodeTrace } from '../ml/features/reliability.ts'
import type { ModelRegistry } from '../ml/registry.ts'
import type { Logger } from '../log/index.ts'

const REFRESH_MS = 60_000

interface PeerHistory { outages: Array<[number, number]>, downSince: number | null }

export class PeerReliability {
  private readonly registry: ModelRegistry
  private readonly logger: Logger
  private readonly observedFrom = Date.now() / 1000
  private readonly peers = new Map<string, PeerHistory>()
  private readonly scores = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
  private failed = false

  constructor (peerIds: readonly string[], modules: { registry: ModelRegistry, logger: Logger }) {
    this.registry = modules.registry
    this.logger = modules.logger
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

  private async refresh (): Promise<void> {
    if (this.failed) return
    const now = Date.now() / 1000
    const ids = [...this.peers.keys()]
    const rows = ids.map(id => {
      const p = this.peers.get(id) as PeerHistory
      const outages = p.downSince == null ? p.outages : [...p.outages, [p.downSince, now] as [number, number]]
      const trace: NodeTrace = { node: id, observedFrom: this.observedFrom, observedTo: now, outages }
      return encodeReliability(new HistoryIndex(trace).features(now))
    })
    try {
      const out = await this.registry.runRows('reliability', rows, 'pFail')
      ids.forEach((id, i) => this.scores.set(id, Math.round((1 - out[i][0]) * 1000) / 1000))
    } catch (err) {
      this.failed = true
      this.logger.warn({ err: String(err) }, 'reliability model unavailable; peers show no reliability score')
    }
  }
}
