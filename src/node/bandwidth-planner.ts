// Plans DWCP transfers from a forecast of each link's next throughput: the shipped bandwidth model and
// the EWMA baseline both forecast from the link's last samples (each finished send is one), the guard
// scores both against the next sample (relative absolute error) and the one in charge sets the bandwidth
// the planner sizes streams and chunks for (planTransfer: bandwidth-delay product).
import { planTransfer, type LinkInfo } from '../dwcp/index.ts'
import type { TransferPlan } from '../dwcp/amst/plan.ts'
import { HISTORY } from '../ml/features/bandwidth.ts'
import type { ModelGuard } from '../ml/guard.ts'
import { ewma } from '../ml/tasks/bandwidth.ts'

/** The model's forecast (Mbit/s) from a link's samples, oldest first; it may run off the main thread. */
export type Forecaster = (history: number[]) => Promise<number>

interface LinkForecast { history: number[], model: number | null, baseline: number | null }

/** Relative absolute error, with the floor the metrics use so a stalled link does not divide by zero. */
export const relativeError = (forecast: number, actual: number): number => Math.abs(forecast - actual) / Math.max(actual, 0.1)

export class BandwidthPlanner {
  private readonly links = new Map<string, LinkForecast>()
  private readonly forecast: Forecaster
  private readonly alpha: number
  private readonly guard: ModelGuard | null

  constructor (opts: { forecast: Forecaster, ewmaAlpha: number, guard?: ModelGuard }) {
    this.forecast = opts.forecast
    this.alpha = opts.ewmaAlpha
    this.guard = opts.guard ?? null
  }

  /** One measured throughput sample: score the last forecasts against it, then forecast the next. */
  async observe (peer: string, mbps: number): Promise<void> {
    if (!Number.isFinite(mbps) || mbps < 0) return
    let l = this.links.get(peer)
    if (l == null) { l = { history: [], model: null, baseline: null }; this.links.set(peer, l) }
    if (l.model != null && l.baseline != null) this.guard?.record(relativeError(l.model, mbps), relativeError(l.baseline, mbps))
    l.history.push(mbps)
    if (l.history.length > HISTORY) l.history.shift()
    const history = l.history.slice()
    l.baseline = ewma(history, this.alpha)
    try {
      l.model = await this.forecast(history)
    } catch {
      l.model = null
    }
  }

  /** The next-interval bandwidth in charge for this peer (null before its first sample). */
  forecastMbps (peer: string): number | null {
    const l = this.links.get(peer)
    if (l == null || l.baseline == null) return null
    if (l.model == null || this.guard == null) return l.model ?? l.baseline
    return this.guard.pick(l.model, l.baseline)
  }

  /** DWCP's linkEstimate: the measured RTT with the forecast bandwidth. */
  estimate (peer: string, measured: LinkInfo | null): LinkInfo | null {
    const f = this.forecastMbps(peer)
    if (f == null || f <= 0) return measured
    return { rttMs: measured?.rttMs ?? 1, bandwidthMbps: f }
  }

  plan (peer: string, measured: LinkInfo | null): TransferPlan | null {
    const link = this.estimate(peer, measured)
    return link == null ? null : planTransfer(link)
  }
}
