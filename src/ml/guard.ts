// The guard every shipped model runs behind: the node scores the model and its baseline online on what it
// observes (both predictions are made for every observation, whichever is in charge), and when the model
// has lost to the baseline over the last `window` observations the baseline decides until the model wins
// again. One mechanism for every model; what a "loss" is (absolute error, log loss, seconds) is the caller's.

export type InCharge = 'model' | 'baseline'

export interface GuardOptions {
  /** The baseline's name, as shown in status and metrics (e.g. "ewma", "logisticRegression"). */
  baseline: string
  /** Observations the live score averages over. */
  window: number
  /** No switch before this many observations in the window. */
  minSamples: number
  /** Relative margin a side must win by to take over (hysteresis: no flapping on a tie). */
  margin: number
  /** Who decides before any observation: the baseline where the model lost a left-out source. */
  startWith: InCharge
  /** Why it starts that way, shown until the first switch. */
  startReason: string
}

export interface GuardState {
  model: string
  baseline: string
  inCharge: InCharge
  /** Mean loss over the window (null before any observation), lower is better. */
  modelLoss: number | null
  baselineLoss: number | null
  samples: number
  observed: number
  switches: number
  reason: string
}

export const DEFAULT_GUARD: Omit<GuardOptions, 'baseline' | 'startWith' | 'startReason'> = { window: 50, minSamples: 20, margin: 0.02 }

export class ModelGuard {
  readonly model: string
  private readonly opts: GuardOptions
  private readonly modelLosses: number[] = []
  private readonly baselineLosses: number[] = []
  private modelSum = 0
  private baselineSum = 0
  private observed = 0
  private switches = 0
  private current: InCharge
  private reason: string

  constructor (model: string, opts: Partial<GuardOptions> & Pick<GuardOptions, 'baseline'>) {
    this.model = model
    this.opts = { ...DEFAULT_GUARD, startWith: 'model', startReason: 'no observation yet', ...opts }
    if (!(this.opts.window >= 1 && this.opts.minSamples >= 1 && this.opts.minSamples <= this.opts.window)) throw new RangeError(`guard ${model}: need 1 <= minSamples <= window`)
    this.current = this.opts.startWith
    this.reason = this.opts.startReason
  }

  get inCharge (): InCharge { return this.current }

  /** Picks the model's or the baseline's answer, by who is in charge now. */
  pick<T> (model: T, baseline: T): T { return this.current === 'model' ? model : baseline }

  /** One observation, scored both ways; non-finite losses are ignored (nothing was learnt). */
  record (modelLoss: number, baselineLoss: number): void {
    if (!Number.isFinite(modelLoss) || !Number.isFinite(baselineLoss)) return
    this.observed++
    this.modelLosses.push(modelLoss)
    this.baselineLosses.push(baselineLoss)
    this.modelSum += modelLoss
    this.baselineSum += baselineLoss
    if (this.modelLosses.length > this.opts.window) {
      this.modelSum -= this.modelLosses.shift() as number
      this.baselineSum -= this.baselineLosses.shift() as number
    }
    const n = this.modelLosses.length
    if (n < this.opts.minSamples) return
    const m = this.modelSum / n
    const b = this.baselineSum / n
    const { margin } = this.opts
    if (this.current === 'model' && m > b * (1 + margin)) this.switchTo('baseline', `model lost over the last ${n} observations (${fmt(m)} vs ${fmt(b)})`)
    else if (this.current === 'baseline' && m < b * (1 - margin)) this.switchTo('model', `model won over the last ${n} observations (${fmt(m)} vs ${fmt(b)})`)
  }

  private switchTo (who: InCharge, reason: string): void {
    this.current = who
    this.reason = reason
    this.switches++
  }

  state (): GuardState {
    const n = this.modelLosses.length
    return {
      model: this.model,
      baseline: this.opts.baseline,
      inCharge: this.current,
      modelLoss: n === 0 ? null : round(this.modelSum / n),
      baselineLoss: n === 0 ? null : round(this.baselineSum / n),
      samples: n,
      observed: this.observed,
      switches: this.switches,
      reason: this.reason
    }
  }
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6
const fmt = (x: number): string => x.toPrecision(4)

/**
 * Where the model starts: in charge if it beat its best baseline on every source left out of training
 * (the manifest's leave-one-source-out table), else the baseline until the model wins online.
 */
export function startFromManifest (bySource: { folds: Array<{ source: string, modelWins: boolean }> } | undefined): Pick<GuardOptions, 'startWith' | 'startReason'> {
  if (bySource == null) return { startWith: 'model', startReason: 'no leave-one-source-out table shipped' }
  const lost = bySource.folds.filter(f => !f.modelWins).map(f => f.source)
  return lost.length === 0
    ? { startWith: 'model', startReason: `won every source left out (${bySource.folds.length})` }
    : { startWith: 'baseline', startReason: `lost to its baseline on left-out source(s) ${lost.join(', ')}` }
}

/** The node's guards, one per model, so status, /metrics and `models info` read them from one place. */
export class GuardBoard {
  private readonly guards = new Map<string, ModelGuard>()

  /** The guard of a model, created on first use with the manifest's leave-one-source-out verdict. */
  guard (model: string, opts: Partial<GuardOptions> & Pick<GuardOptions, 'baseline'>, bySource?: Parameters<typeof startFromManifest>[0]): ModelGuard {
    let g = this.guards.get(model)
    if (g == null) {
      g = new ModelGuard(model, { ...startFromManifest(bySource), ...opts })
      this.guards.set(model, g)
    }
    return g
  }

  states (): GuardState[] {
    return [...this.guards.values()].map(g => g.state())
  }
}
