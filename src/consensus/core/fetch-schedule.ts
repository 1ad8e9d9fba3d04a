// When a lagging replica may start a state-transfer download: one at a time, retried after a failure with
// exponential backoff, each attempt leading with the next peer. Pure (times come in), so any protocol can use it.
import type { ValidatorId } from './validators.ts'

export interface FetchScheduleOptions {
  /** Wait after the first failure; doubled after each further one. */
  readonly baseDelayMs: number
  /** Longest wait between attempts. */
  readonly maxDelayMs: number
}

export class FetchSchedule {
  readonly #o: FetchScheduleOptions
  #inFlight: number | undefined
  /** The checkpoint last attempted, how often, and when the next attempt may start. */
  #target = { seq: -1, attempts: 0, notBefore: 0 }

  constructor (o: FetchScheduleOptions) {
    if (!(o.baseDelayMs > 0) || !(o.maxDelayMs >= o.baseDelayMs)) throw new RangeError('fetch backoff needs 0 < baseDelayMs <= maxDelayMs')
    this.#o = o
  }

  /** The sequence number whose download is in flight, if any. */
  get inFlight (): number | undefined { return this.#inFlight }
  /** Attempts started for the current target. */
  get attempts (): number { return this.#target.attempts }

  /**
   * Whether a download of checkpoint `seq` may start now. Returns the peers to ask, rotated so each attempt
   * leads with a different one, and marks it in flight; undefined while any download is in flight or this
   * checkpoint's backoff has not passed. A new (different) checkpoint starts without waiting.
   */
  start (seq: number, peers: readonly ValidatorId[], now: number): ValidatorId[] | undefined {
    if (this.#inFlight !== undefined || peers.length === 0) return undefined
    if (seq !== this.#target.seq) this.#target = { seq, attempts: 0, notBefore: 0 }
    if (now < this.#target.notBefore) return undefined
    const k = this.#target.attempts % peers.length
    this.#target.attempts++
    this.#inFlight = seq
    return [...peers.slice(k), ...peers.slice(0, k)]
  }

  /** The download of `seq` ended without installing anything: back off before the next attempt. */
  failed (seq: number, now: number): void {
    if (this.#inFlight !== seq) return
    this.#inFlight = undefined
    const wait = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** Math.min(30, this.#target.attempts - 1))
    this.#target.notBefore = now + wait
  }

  /** The download of `seq` installed its snapshot (or the replica got there by itself). */
  done (seq: number): void {
    if (this.#inFlight === seq) this.#inFlight = undefined
    if (this.#target.seq === seq) this.#target = { seq: -1, attempts: 0, notBefore: 0 }
  }
}
