// The per-peer rate limit on helping a replica that fell behind: a laggard (or a Byzantine peer posing as
// one) gets at most one round of help per interval, however often it asks.
import type { ValidatorId } from './validators.ts'

export class HelpLimiter {
  readonly #intervalMs: number
  readonly #last = new Map<ValidatorId, number>()
  constructor (intervalMs: number) { this.#intervalMs = intervalMs }

  /** Whether `peer` may be helped at `now`; a yes counts as help given. */
  may (peer: ValidatorId, now: number): boolean {
    const last = this.#last.get(peer)
    if (last !== undefined && now - last < this.#intervalMs) return false
    this.#last.set(peer, now)
    return true
  }
}
