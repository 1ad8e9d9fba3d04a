// The simulator's bounded-resources checker: the real size limits (a message over MAX_MESSAGE_BYTES, a WAL
// record over MAX_WAL_RECORD_BYTES) and, per honest replica, what one delivered message may cost it.
import { MAX_MESSAGE_BYTES, MAX_WAL_RECORD_BYTES } from '../core/limits.ts'
import type { ProtocolStatus } from '../core/protocol.ts'
import type { DriverMetrics } from '../driver/interfaces.ts'

/** Held messages (parked, future-view) per validator: Bullshark parks at most parkPerAuthor per author per
 *  kind (60 in the simulator), PBFT buffers 3 x watermarkWindow future-view messages per validator (96). */
export const HELD_PER_VALIDATOR = 128
/** Held messages examined again in vain while handling one message: an index keeps it near zero, a rescan
 *  of every held message per event does not. */
export const WASTED_SCANS_PER_MESSAGE = 256
/** Messages one delivered message may make a replica send: a fetch answer (certificates and batches, each
 *  list at most MAX_DIGESTS) plus a few broadcasts per validator. */
export const SENDS_PER_MESSAGE = (n: number): number => 2 * 1024 + 8 * n

interface NodeMeter {
  sends: number
  wasted: number
  maxHeld: number
  maxWasted: number
  maxSends: number
  worst: string
  tooLarge: string[]
}

export class ResourceMeter {
  readonly #n: number
  readonly #nodes: NodeMeter[]
  #at = { node: -1, sends: 0 }

  constructor (n: number) {
    this.#n = n
    this.#nodes = Array.from({ length: n }, () => ({ sends: 0, wasted: 0, maxHeld: 0, maxWasted: 0, maxSends: 0, worst: '', tooLarge: [] }))
  }

  /** Metrics that also hear the driver's reports of what it refused to send or persist. */
  watch (node: number, inner: DriverMetrics): DriverMetrics {
    return {
      dropped: (reason, from) => inner.dropped(reason, from),
      viewChange: (view) => inner.viewChange(view),
      committed: (seq, size) => inner.committed(seq, size),
      event: (e) => {
        if (e.type === 'record-too-large' || e.type === 'message-too-large') this.#tooLarge(node, `${e.type}: ${String(e.record ?? e.message)} of ${String(e.bytes)} bytes`)
        inner.event(e)
      }
    }
  }

  /** Every message a node hands the network and every record it hands its WAL pass through here. */
  sent (node: number, recipients: number, bytes: number): void {
    this.#nodes[node].sends += recipients
    if (bytes > MAX_MESSAGE_BYTES) this.#tooLarge(node, `sent a message of ${bytes} bytes (limit ${MAX_MESSAGE_BYTES})`)
  }

  persisted (node: number, bytes: number): void {
    if (bytes > MAX_WAL_RECORD_BYTES) this.#tooLarge(node, `wrote a WAL record of ${bytes} bytes (limit ${MAX_WAL_RECORD_BYTES})`)
  }

  /** Brackets the delivery of one message to `node`. */
  begin (node: number): void { this.#at = { node, sends: this.#nodes[node].sends } }

  end (node: number, what: string, status: ProtocolStatus | undefined): void {
    const m = this.#nodes[node]
    const sends = this.#at.node === node ? m.sends - this.#at.sends : 0
    if (sends > m.maxSends) m.maxSends = sends
    const r = status?.resources
    if (r === undefined) return
    const wasted = r.wastedScans - m.wasted
    m.wasted = r.wastedScans
    if (wasted > m.maxWasted) { m.maxWasted = wasted; m.worst = what }
    if (r.held > m.maxHeld) m.maxHeld = r.held
  }

  #tooLarge (node: number, what: string): void {
    const list = this.#nodes[node].tooLarge
    if (list.length < 3) list.push(what)
  }

  /** Violations over the honest nodes, in the checkers' format. */
  violations (honest: (node: number) => boolean): string[] {
    const out: string[] = []
    this.#nodes.forEach((m, i) => {
      if (!honest(i)) return
      for (const t of m.tooLarge) out.push(`limits: node ${i} ${t}`)
      if (m.maxHeld > HELD_PER_VALIDATOR * this.#n) out.push(`resources: node ${i} held ${m.maxHeld} messages (bound ${HELD_PER_VALIDATOR * this.#n})`)
      if (m.maxWasted > WASTED_SCANS_PER_MESSAGE) out.push(`resources: node ${i} re-examined ${m.maxWasted} held messages in vain for one ${m.worst} (bound ${WASTED_SCANS_PER_MESSAGE})`)
      if (m.maxSends > SENDS_PER_MESSAGE(this.#n)) out.push(`resources: node ${i} sent ${m.maxSends} messages for one received (bound ${SENDS_PER_MESSAGE(this.#n)})`)
    })
    return out
  }

  /** The largest figures seen over the honest nodes, for a test to print. */
  peaks (honest: (node: number) => boolean): { held: number, wastedScans: number, sends: number } {
    const hs = this.#nodes.filter((_, i) => honest(i))
    return { held: Math.max(0, ...hs.map((m) => m.maxHeld)), wastedScans: Math.max(0, ...hs.map((m) => m.maxWasted)), sends: Math.max(0, ...hs.map((m) => m.maxSends)) }
  }
}
