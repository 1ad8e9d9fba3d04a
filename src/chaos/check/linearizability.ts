// Linearizability of register histories: the Wing–Gong search with Lowe's list lifting and Porcupine's
// memoisation of (linearized set, state), run per key (registers compose), within a step budget and an
// optional deadline, answering "unknown" when either runs out. A failing key also gets its smallest
// failing window: a stretch of the history that no starting state can explain.
import type { RegisterOp, RegisterValue } from './history.ts'

export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown'

export interface CheckBudget {
  /** Search steps per key before giving up with "unknown" (default 2,000,000). */
  maxSteps?: number
  /** Asked every few thousand steps; true ends the whole check with "unknown" where undecided. Inject a clock here: the core reads none. */
  expired?: () => boolean
  /** Look for the smallest failing window of a failing key (default true). */
  window?: boolean
}

export interface FailingWindow {
  key: string
  /** First and last time of the window, on the history's clock. */
  from: number
  to: number
  /** The operations inside it, in invocation order (those begun before `from` count as unknown). */
  ops: RegisterOp[]
}

export interface KeyVerdict { key: string, verdict: Verdict, ops: number, steps: number, window?: FailingWindow }

export interface LinearizabilityReport { verdict: Verdict, keys: KeyVerdict[], steps: number }

const DEFAULT_MAX_STEPS = 2_000_000

interface Entry {
  id: number
  op: RegisterOp
  isCall: boolean
  time: number
  /** A call's return entry (null for an operation whose outcome is unknown: it has none). */
  ret: Entry | null
  prev: Entry | null
  next: Entry | null
}

/** The register model: can `op` run in `state`, and what state follows. */
function step (state: RegisterValue, op: RegisterOp): [boolean, RegisterValue] {
  switch (op.f) {
    case 'read': return [state === op.value, state]
    case 'write': return [true, op.value]
    case 'cas': {
      const matches = state === (op.expect ?? null)
      if (op.outcome === 'ok') return [matches, matches ? op.value : state]
      if (op.outcome === 'fail') return [!matches, state] // it ran and its comparison failed
      return [true, matches ? op.value : state]
    }
  }
}

/** Drops what constrains nothing: failed reads and writes (they did not happen), reads of unknown outcome. */
function relevant (op: RegisterOp): boolean {
  if (op.f === 'read') return op.outcome === 'ok'
  if (op.f === 'write') return op.outcome !== 'fail'
  return true
}

type SearchResult = { verdict: Verdict, steps: number }

/** One key's search from `initial`. Operations of unknown outcome are optional and open to the end. */
function search (ops: RegisterOp[], initial: RegisterValue, maxSteps: number, expired: () => boolean): SearchResult {
  const events: Entry[] = []
  ops.forEach((op, id) => {
    const call: Entry = { id, op, isCall: true, time: op.invoke, ret: null, prev: null, next: null }
    events.push(call)
    if (op.outcome !== 'unknown' && op.complete !== null) {
      call.ret = { id, op, isCall: false, time: op.complete, ret: null, prev: null, next: null }
      events.push(call.ret)
    }
  })
  // At equal times calls come first: operations that touch are treated as concurrent (never a false alarm).
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.id - b.id : a.isCall ? -1 : 1))
  const head: Entry = { id: -1, op: ops[0], isCall: true, time: -Infinity, ret: null, prev: null, next: null }
  let last = head
  for (const e of events) { last.next = e; e.prev = last; last = e }

  const lift = (e: Entry): void => {
    e.prev!.next = e.next
    if (e.next) e.next.prev = e.prev
    if (e.ret) { e.ret.prev!.next = e.ret.next; if (e.ret.next) e.ret.next.prev = e.ret.prev }
  }
  const unlift = (e: Entry): void => {
    if (e.ret) { e.ret.prev!.next = e.ret; if (e.ret.next) e.ret.next.prev = e.ret }
    e.prev!.next = e
    if (e.next) e.next.prev = e
  }

  const bits = new Uint32Array(Math.ceil(ops.length / 32) + 1)
  const seen = new Set<string>()
  const memoKey = (state: RegisterValue): string => {
    let s = state === null ? '\u0000' : state
    for (let i = 0; i < bits.length; i++) s += ',' + bits[i].toString(36)
    return s
  }
  const stack: Array<{ entry: Entry, state: RegisterValue }> = []
  let state = initial
  let entry: Entry | null = head.next
  let steps = 0
  while (entry !== null) {
    if (++steps > maxSteps || ((steps & 4095) === 0 && expired())) return { verdict: 'unknown', steps }
    if (entry.isCall) {
      const [ok, next] = step(state, entry.op)
      if (ok) {
        bits[entry.id >> 5] |= 1 << (entry.id & 31)
        const k = memoKey(next)
        if (!seen.has(k)) {
          seen.add(k)
          stack.push({ entry, state })
          state = next
          lift(entry)
          entry = head.next
          continue
        }
        bits[entry.id >> 5] &= ~(1 << (entry.id & 31))
      }
      entry = entry.next
    } else {
      // A return whose call could not be placed before it: undo the last choice.
      const top = stack.pop()
      if (top == null) return { verdict: 'not-linearizable', steps }
      state = top.state
      bits[top.entry.id >> 5] &= ~(1 << (top.entry.id & 31))
      unlift(top.entry)
      entry = top.entry.next
    }
  }
  // Only calls of unknown outcome are left: each may simply not have happened.
  return { verdict: 'linearizable', steps }
}

/** The history as it stood at time `t`: later invocations gone, operations still running there of unknown outcome. */
function prefixAt (ops: RegisterOp[], t: number): RegisterOp[] {
  return ops.filter(o => o.invoke <= t).map(o => o.complete !== null && o.complete <= t ? o : { ...o, complete: null, outcome: 'unknown' as const }).filter(relevant)
}

/** The history from time `s` on, its past forgotten: finished operations gone, running ones of unknown outcome. */
function suffixFrom (ops: RegisterOp[], s: number): RegisterOp[] {
  return ops.filter(o => o.complete === null || o.complete >= s).map(o => o.invoke >= s ? o : { ...o, complete: null, outcome: 'unknown' as const }).filter(relevant)
}

function smallestWindow (key: string, ops: RegisterOp[], maxSteps: number, expired: () => boolean): FailingWindow | undefined {
  let budget = maxSteps
  const run = (subset: RegisterOp[], initial: RegisterValue): Verdict => {
    if (budget <= 0) return 'unknown'
    const r = search(subset, initial, budget, expired)
    budget -= r.steps
    return r.verdict
  }
  // The earliest completion time by which the history already fails (failing prefixes stay failing).
  const ends = [...new Set(ops.filter(o => o.complete !== null).map(o => o.complete as number))].sort((a, b) => a - b)
  let lo = 0
  let hi = ends.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    const v = run(prefixAt(ops, ends[mid]), null)
    if (v === 'unknown') return undefined
    if (v === 'not-linearizable') hi = mid
    else lo = mid + 1
  }
  const to = ends[lo]
  const prefix = ops.filter(o => o.invoke <= to)
  const states = [null, ...new Set(prefix.filter(o => o.f !== 'read').map(o => o.value))]
  // The latest start from which no starting state explains the rest.
  const starts = [...new Set(prefix.map(o => o.invoke))].sort((a, b) => b - a)
  for (const from of starts) {
    const window = suffixFrom(prefixAt(ops, to), from)
    let failsFromEveryState = true
    for (const s of states) {
      const v = run(window, s)
      if (v === 'unknown') return undefined
      if (v === 'linearizable') { failsFromEveryState = false; break }
    }
    if (failsFromEveryState) return { key, from, to, ops: prefix.filter(o => o.complete === null || o.complete >= from) }
  }
  return { key, from: starts.at(-1) ?? to, to, ops: prefix }
}

/** Checks every key's register history independently; the report fails if any key does. */
export function checkLinearizable (ops: readonly RegisterOp[], budget: CheckBudget = {}): LinearizabilityReport {
  const maxSteps = budget.maxSteps ?? DEFAULT_MAX_STEPS
  const expired = budget.expired ?? (() => false)
  const byKey = new Map<string, RegisterOp[]>()
  for (const op of ops) {
    const list = byKey.get(op.key)
    if (list == null) byKey.set(op.key, [op])
    else list.push(op)
  }
  const keys: KeyVerdict[] = []
  let steps = 0
  for (const [key, all] of [...byKey].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    const kept = all.filter(relevant)
    const r = kept.length === 0 ? { verdict: 'linearizable' as const, steps: 0 } : search(kept, null, maxSteps, expired)
    steps += r.steps
    const kv: KeyVerdict = { key, verdict: r.verdict, ops: kept.length, steps: r.steps }
    if (r.verdict === 'not-linearizable' && budget.window !== false) {
      const w = smallestWindow(key, all, maxSteps, expired)
      if (w != null) kv.window = w
    }
    keys.push(kv)
  }
  const verdict: Verdict = keys.some(k => k.verdict === 'not-linearizable') ? 'not-linearizable' : keys.some(k => k.verdict === 'unknown') ? 'unknown' : 'linearizable'
  return { verdict, keys, steps }
}
