// Exponential backoff with full jitter, as a pure function so reconnect schedules are testable.
export interface BackoffOptions {
  initialMs: number
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 15_000 }

/** Delay before retry number `attempt` (0-based); `random` in [0, 1). */
export function backoffDelay (attempt: number, { initialMs, maxMs }: BackoffOptions, random: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30))
  return Math.round(ceiling / 2 + (ceiling / 2) * random)
}
