// The adaptive view-change / leader timeout. Every interval the node closes its window of measured commit
// latencies (submission to its own apply), predicts the next interval's p99 two ways (the consensus-latency
// model and its baseline), scores last interval's predictions on what it just measured (the guard), and
// sets the timeout from whichever is in charge. The prediction can only RAISE the timeout: it is
// clamp(max(genesis, TIMEOUT_SAFETY × share × predicted p99), genesis, genesis maximum), where share is the
// part of a commit's latency the timer waits for (the protocol's spec). A prediction below the genesis
// value leaves the genesis value: a shorter wait than the one the genesis chose removes no spurious view
// change and only adds some, so the floor is the genesis value itself. The driver's timerMs hook scales the
// protocol's own timer by timeout / genesis value (never below the protocol's own duration), so PBFT's
// doubling on failed views is kept. The same class runs in the node (ONNX model, async) and in the
// simulator bench (the model's trees, synchronously in virtual time).
import type { TimerId } from '../consensus/core/protocol.ts'
import type { AdaptiveTimeoutSpec } from '../consensus/core/module.ts'
import type { LatencyObservation } from '../ml/features/consensus-latency.ts'
import { messageDelays } from '../ml/features/consensus-latency.ts'
import type { ModelGuard } from '../ml/guard.ts'
import { linearPredict, type LinearModel } from '../ml/train/linear.ts'

/** Timeout = this × the predicted p99 of what the timer waits for: a wait that a healthy primary misses only
 *  on a tail far past its p99 (when that is above the genesis value). */
export const TIMEOUT_SAFETY = 2
/** The window the model was trained on (src/ml/data/consensus-sim.ts INTERVAL_MS). */
export const TIMEOUT_INTERVAL_MS = 2000
/** An interval with fewer commits is skipped: its p99 says nothing. */
const MIN_COMMITS = 3

export type TimeoutSetter = 'genesis' | 'model' | 'baseline'

/** ms of the next interval's p99; may answer later (the node's ONNX worker). */
export type LatencyPredictor = (o: LatencyObservation) => number | Promise<number>

export interface TimeoutBaselines {
  /** Which baseline the guard runs against: 'ewma', 'lastValue' or 'linearRtt'. */
  name: string
  ewmaAlpha: number
  linearRtt?: LinearModel
}

export interface AdaptiveTimeoutOptions {
  protocol: string
  n: number
  batchSize: number
  timers: readonly TimerId[]
  baseMs: number
  maxMs: number
  /** The part of a commit's latency the adapted timer waits for (AdaptiveTimeoutSpec.latencyShare; default 1). */
  latencyShare?: number
  intervalMs?: number
  baselines: TimeoutBaselines
  /** Absent: the baseline alone sets the timeout. */
  predict?: LatencyPredictor
  guard?: ModelGuard
  /** A failed prediction (the model's worker) is reported here and the baseline stands in. */
  onError?: (err: unknown) => void
}

export interface TimeoutState {
  timeoutMs: number
  /** 'genesis' while no prediction raises the timeout above the genesis value; else who raised it. */
  setBy: TimeoutSetter
  /** The lower bound: the genesis value (a prediction never lowers the timeout). */
  floorMs: number
  maxMs: number
  genesisMs: number
  predictedP99Ms: number | null
  baseline: string
  intervals: number
}

/** Bounds a timeout between the floor and the maximum (a floor above the maximum yields the maximum). */
export const boundTimeout = (ms: number, floorMs: number, maxMs: number): number => Math.min(maxMs, Math.max(floorMs, Number.isFinite(ms) ? ms : maxMs))

/** The timeout a predicted p99 commit latency asks for: the genesis value unless TIMEOUT_SAFETY × share × the
 *  prediction is above it, then that, up to the maximum. A non-finite or negative prediction leaves the genesis value. */
export const raisedTimeout = (predictedP99Ms: number, share: number, baseMs: number, maxMs: number): number =>
  Number.isFinite(predictedP99Ms) && predictedP99Ms > 0 ? boundTimeout(Math.max(baseMs, TIMEOUT_SAFETY * share * predictedP99Ms), baseMs, maxMs) : Math.min(baseMs, maxMs)

const relativeError = (p: number, actual: number): number => Math.abs(p - actual) / Math.max(actual, 1)
const q = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]

export class AdaptiveTimeout {
  private readonly o: Required<Omit<AdaptiveTimeoutOptions, 'predict' | 'guard' | 'onError'>> & Pick<AdaptiveTimeoutOptions, 'predict' | 'guard' | 'onError'>
  private readonly timers: ReadonlySet<TimerId>
  private windowStart: number | null = null
  private latencies: number[] = []
  private submittedInWindow = 0
  private bytesInWindow = 0
  private p99s: number[] = []
  private ewma = NaN
  private rtt = { p50: 0, p90: 0 }
  private loss = 0
  private txBytes = 256
  private pending: { model: number | null, baseline: number } | null = null
  private current: number
  private setBy: TimeoutSetter = 'genesis'
  private predicted: number | null = null
  private closed = 0

  constructor (opts: AdaptiveTimeoutOptions) {
    this.o = { latencyShare: 1, intervalMs: TIMEOUT_INTERVAL_MS, ...opts }
    this.timers = new Set(opts.timers)
    this.current = Math.min(opts.baseMs, opts.maxMs)
  }

  /** The spec of a protocol module, with its parameters, as options. */
  static specOptions<P> (spec: AdaptiveTimeoutSpec<P>, params: P): Pick<AdaptiveTimeoutOptions, 'timers' | 'baseMs' | 'maxMs' | 'latencyShare'> {
    return { timers: spec.timers, baseMs: spec.baseMs(params), maxMs: spec.maxMs(params), latencyShare: spec.latencyShare ?? 1 }
  }

  /** The driver's timerMs hook: the protocol's duration for an adapted timer, scaled by timeout / genesis
   *  value up to the maximum, and never below the protocol's own duration. */
  timerMs (id: TimerId, ms: number): number {
    if (!this.timers.has(id)) return ms
    return Math.max(ms, Math.min(this.o.maxMs, ms * this.current / this.o.baseMs))
  }

  /** Transactions handed to this node (the load it sees) and their mean size. */
  submitted (count: number, bytes: number, now: number): void {
    this.roll(now)
    this.submittedInWindow += count
    this.bytesInWindow += bytes
  }

  /** One of this node's transactions committed here, `latencyMs` after its submission. */
  committed (latencyMs: number, now: number): void {
    this.roll(now)
    if (Number.isFinite(latencyMs) && latencyMs >= 0) this.latencies.push(latencyMs)
  }

  /** Ping RTT percentiles to the peers, and the loss the node sees (0..1). */
  network (rttP50Ms: number, rttP90Ms: number, loss = 0): void {
    if (Number.isFinite(rttP50Ms) && Number.isFinite(rttP90Ms)) this.rtt = { p50: rttP50Ms, p90: rttP90Ms }
    if (Number.isFinite(loss)) this.loss = Math.min(1, Math.max(0, loss))
  }

  /** Closes every interval that ended by `now` (the node calls it on a timer; observations call it too). */
  roll (now: number): void {
    if (this.windowStart == null) { this.windowStart = now; return }
    while (now - this.windowStart >= this.o.intervalMs) {
      this.close()
      this.windowStart += this.o.intervalMs
    }
  }

  private close (): void {
    const sorted = this.latencies.sort((a, b) => a - b)
    const rate = this.submittedInWindow / (this.o.intervalMs / 1000)
    if (this.submittedInWindow > 0) this.txBytes = this.bytesInWindow / this.submittedInWindow
    this.latencies = []
    this.submittedInWindow = 0
    this.bytesInWindow = 0
    if (sorted.length < MIN_COMMITS) return
    this.closed++
    const p50 = q(sorted, 0.5)
    const p99 = q(sorted, 0.99)
    // Score what was predicted for this interval, then fold it into the history.
    if (this.pending?.model != null) this.o.guard?.record(relativeError(this.pending.model, p99), relativeError(this.pending.baseline, p99))
    const lastP99 = p99
    this.ewma = Number.isNaN(this.ewma) ? p99 : this.o.baselines.ewmaAlpha * p99 + (1 - this.o.baselines.ewmaAlpha) * this.ewma
    this.p99s.push(p99)
    const obs: LatencyObservation = {
      protocol: this.o.protocol, n: this.o.n, batchSize: this.o.batchSize, txBytes: this.txBytes, rateTxS: rate,
      rttP50Ms: this.rtt.p50, rttP90Ms: this.rtt.p90, loss: this.loss, lastP50Ms: p50, lastP99Ms: lastP99, ewmaP99Ms: this.ewma
    }
    const baseline = this.baselinePredict(obs)
    const pending = { model: null as number | null, baseline }
    this.pending = pending
    this.apply(pending)
    if (this.o.predict == null) return
    let answer: number | Promise<number>
    try {
      answer = this.o.predict(obs)
    } catch (err) {
      this.o.onError?.(err)
      return
    }
    if (typeof answer === 'number') {
      pending.model = answer
      this.apply(pending)
    } else {
      answer.then(ms => { if (this.pending === pending) { pending.model = ms; this.apply(pending) } }, (err: unknown) => this.o.onError?.(err))
    }
  }

  private baselinePredict (o: LatencyObservation): number {
    const b = this.o.baselines
    if (b.name === 'lastValue') return o.lastP99Ms
    if (b.name === 'linearRtt' && b.linearRtt != null) return Math.max(1, linearPredict(b.linearRtt, [o.rttP50Ms * messageDelays(o.protocol), o.rttP90Ms * messageDelays(o.protocol)]))
    return o.ewmaP99Ms
  }

  private apply (p: { model: number | null, baseline: number }): void {
    const useModel = p.model != null && Number.isFinite(p.model) && (this.o.guard == null || this.o.guard.inCharge === 'model')
    const chosen = useModel ? p.model as number : p.baseline
    this.predicted = Math.round(chosen * 10) / 10
    this.current = raisedTimeout(chosen, this.o.latencyShare, this.o.baseMs, this.o.maxMs)
    this.setBy = this.current > this.o.baseMs ? (useModel ? 'model' : 'baseline') : 'genesis'
  }

  state (): TimeoutState {
    return { timeoutMs: Math.round(this.current), setBy: this.setBy, floorMs: this.o.baseMs, maxMs: this.o.maxMs, genesisMs: this.o.baseMs, predictedP99Ms: this.predicted, baseline: this.o.baselines.name, intervals: this.closed }
  }
}
