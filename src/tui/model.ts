// What the status TUI shows, kept apart from Ink: the nodes it watches (a StatusSource built on the admin
// API client), the per-node history behind the tps sparkline, and the small formatting helpers.
import type { StatusJson } from '../api/types.ts'

/** One node the TUI can show: a label for the header and how to fetch its status. */
export interface StatusTarget {
  label: string
  url: string
  status: () => Promise<StatusJson>
}

/** What the TUI knows about one target after its latest poll. */
export interface TargetView {
  target: StatusTarget
  /** The last status that arrived (kept while the node cannot be reached, shown as stale). */
  status: StatusJson | null
  /** Why the latest poll failed; null when it succeeded. */
  error: string | null
  /** Wall-clock ms of the last successful poll. */
  lastOkAt: number | null
  /** Transactions committed per second between consecutive polls, oldest first. */
  tps: number[]
  /** committedTx and time of the previous successful poll, for the next tps sample. */
  prev: { committedTx: number, at: number } | null
}

export const HISTORY = 60

export function emptyView (target: StatusTarget): TargetView {
  return { target, status: null, error: null, lastOkAt: null, tps: [], prev: null }
}

/** The view after a successful poll at `at` (ms). */
export function withStatus (v: TargetView, status: StatusJson, at: number): TargetView {
  let tps = v.tps
  if (v.prev != null && at > v.prev.at && status.committedTx >= v.prev.committedTx) {
    const sample = (status.committedTx - v.prev.committedTx) / ((at - v.prev.at) / 1000)
    tps = [...v.tps, sample].slice(-HISTORY)
  }
  return { ...v, status, error: null, lastOkAt: at, tps, prev: { committedTx: status.committedTx, at } }
}

/** The view after a failed poll: the last status stays, marked stale by the error. */
export function withError (v: TargetView, error: unknown): TargetView {
  const message = error instanceof Error ? error.message : String(error)
  return { ...v, error: message, prev: null }
}

const BARS = '▁▂▃▄▅▆▇█'

/** A sparkline of the last `width` values, scaled to their maximum (all zero: a flat baseline). */
export function sparkline (values: readonly number[], width = 30): string {
  const tail = values.slice(-width)
  const max = Math.max(0, ...tail)
  return tail.map(v => max <= 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.round((Math.max(0, v) / max) * (BARS.length - 1)))]).join('')
}

/** Peer ids are long; the tail is what differs between them. */
export function shortId (id: string | null | undefined, n = 8): string {
  if (id == null) return '-'
  return id.length <= n + 1 ? id : '…' + id.slice(-n)
}

export function fmtMs (ms: number | null | undefined): string {
  if (ms == null) return '-'
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`
}

export function fmtInt (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

export function fmtRate (n: number): string {
  return n >= 100 ? fmtInt(n) : n.toFixed(1)
}

export function fmtUptime (s: number): string {
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** "12:03:04" from an ISO timestamp (local time of the terminal). */
export function fmtClock (iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map(x => String(x).padStart(2, '0')).join(':')
}

/** The label of the node with this peer id among the targets, if the TUI watches it. */
export function labelOf (views: readonly TargetView[], peerId: string | null): string | null {
  if (peerId == null) return null
  return views.find(v => v.status?.nodeId === peerId)?.target.label ?? null
}
