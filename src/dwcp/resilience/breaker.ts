// Circuit breakers per peer and retries with exponential backoff and jitter, on cockatiel. Nothing here
// knows about DWCP: the node can wrap consensus connections in the same PeerBreakers.
import {
  BrokenCircuitError, CircuitState, ConsecutiveBreaker, ExponentialBackoff, IsolatedCircuitError,
  circuitBreaker, handleAll, handleWhen, retry
} from 'cockatiel'
import type { CircuitBreakerPolicy, RetryPolicy } from 'cockatiel'

export type CircuitStatus = 'closed' | 'open' | 'half-open' | 'isolated'

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold?: number
  /** How long an open circuit refuses calls before letting one probe through (half-open). */
  halfOpenAfterMs?: number
}

export interface RetryOptions {
  /** Retries after the first attempt. */
  maxAttempts?: number
  initialDelayMs?: number
  maxDelayMs?: number
}

export const DEFAULT_BREAKER: Required<BreakerOptions> = { failureThreshold: 3, halfOpenAfterMs: 5_000 }
export const DEFAULT_RETRY: Required<RetryOptions> = { maxAttempts: 4, initialDelayMs: 200, maxDelayMs: 10_000 }

const STATUS: Record<CircuitState, CircuitStatus> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated'
}

export function isCircuitOpenError (e: unknown): boolean {
  return e instanceof BrokenCircuitError || e instanceof IsolatedCircuitError
}

/** Exponential backoff with decorrelated jitter (cockatiel's default generator). */
export function retryPolicy (opts: RetryOptions = {}, isRetryable: (e: Error) => boolean = () => true): RetryPolicy {
  const o = { ...DEFAULT_RETRY, ...opts }
  return retry(handleWhen((e) => !isCircuitOpenError(e) && isRetryable(e)), {
    maxAttempts: o.maxAttempts,
    backoff: new ExponentialBackoff({ initialDelay: o.initialDelayMs, maxDelay: o.maxDelayMs })
  })
}

export async function withRetry<T> (fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}, isRetryable?: (e: Error) => boolean): Promise<T> {
  return await retryPolicy(opts, isRetryable).execute(async ({ attempt }) => await fn(attempt))
}

export interface PeerBreakersOptions {
  breaker?: BreakerOptions
  retry?: RetryOptions
  /** Errors that should neither count against a peer nor be retried (e.g. a refused offer). */
  isPeerFault?: (e: Error) => boolean
  onStateChange?: (peer: string, status: CircuitStatus) => void
}

/** One breaker per peer: after `failureThreshold` consecutive failures calls to that peer fail fast
 * until a half-open probe succeeds. */
export class PeerBreakers {
  private readonly policies = new Map<string, CircuitBreakerPolicy>()
  private readonly opts: PeerBreakersOptions

  constructor (opts: PeerBreakersOptions = {}) {
    this.opts = opts
  }

  private policy (peer: string): CircuitBreakerPolicy {
    let p = this.policies.get(peer)
    if (p === undefined) {
      const o = { ...DEFAULT_BREAKER, ...this.opts.breaker }
      const isPeerFault = this.opts.isPeerFault
      p = circuitBreaker(isPeerFault === undefined ? handleAll : handleWhen(isPeerFault), {
        breaker: new ConsecutiveBreaker(o.failureThreshold),
        halfOpenAfter: o.halfOpenAfterMs
      })
      p.onStateChange((s) => this.opts.onStateChange?.(peer, STATUS[s]))
      this.policies.set(peer, p)
    }
    return p
  }

  /** One attempt through the peer's breaker; rejects with BrokenCircuitError while it is open. */
  async execute<T> (peer: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return await this.policy(peer).execute(async () => await fn(), signal)
  }

  /** Retries with backoff, each attempt through the breaker; stops as soon as the breaker opens. */
  async executeWithRetry<T> (peer: string, fn: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const breaker = this.policy(peer)
    return await retryPolicy(this.opts.retry, this.opts.isPeerFault)
      .execute(async ({ attempt, signal: s }) => await breaker.execute(async () => await fn(attempt), s), signal)
  }

  status (peer: string): CircuitStatus {
    const p = this.policies.get(peer)
    return p === undefined ? 'closed' : STATUS[p.state]
  }

  statuses (): Record<string, CircuitStatus> {
    return Object.fromEntries([...this.policies.keys()].map((peer) => [peer, this.status(peer)]))
  }

  /** Forgets a peer's breaker (e.g. when it leaves the cluster). */
  forget (peer: string): void {
    this.policies.delete(peer)
  }
}
