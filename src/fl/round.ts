// One federated round with a deadline: ask every participant, take what comes back in time, and close
// the round at the deadline whatever the stragglers do. Time comes from an injected clock, so a test can
// drive a client that never answers past the deadline without waiting for it.

export interface Clock {
  now: () => number
  /** Resolves after `ms` (or when `signal` aborts, early). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => await new Promise<void>(resolve => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}

export interface RoundOutcome<T> {
  /** Results that arrived before the deadline, in arrival order. */
  results: Array<{ id: string, value: T, elapsedMs: number }>
  /** Participants that failed (threw) before the deadline. */
  failed: Array<{ id: string, error: string }>
  /** Participants still running at the deadline: their work is aborted and ignored. */
  late: string[]
  elapsedMs: number
}

export async function runRound<T> (participants: readonly string[], deadlineMs: number, clock: Clock, work: (id: string, signal: AbortSignal) => Promise<T>): Promise<RoundOutcome<T>> {
  const start = clock.now()
  const abort = new AbortController()
  const out: RoundOutcome<T> = { results: [], failed: [], late: [], elapsedMs: 0 }
  const pending = new Set(participants)
  let wakeAll: () => void = () => {}
  const allDone = new Promise<void>(resolve => { wakeAll = resolve })
  if (pending.size === 0) wakeAll()
  for (const id of participants) {
    void (async () => {
      try {
        const value = await work(id, abort.signal)
        if (!pending.has(id)) return
        out.results.push({ id, value, elapsedMs: clock.now() - start })
      } catch (err) {
        if (!pending.has(id)) return
        out.failed.push({ id, error: (err as Error)?.message ?? String(err) })
      }
      pending.delete(id)
      if (pending.size === 0) wakeAll()
    })()
  }
  const timer = new AbortController()
  await Promise.race([allDone, clock.sleep(deadlineMs, timer.signal)])
  timer.abort()
  out.late = [...pending]
  pending.clear()
  abort.abort(new Error('round deadline'))
  out.elapsedMs = clock.now() - start
  return out
}
