// Network tier of a peer link from what was measured on it (ping RTT, transfer throughput), never from
// configuration. Thresholds:
//   tier 1 (datacenter): RTT <= 2 ms and throughput >= 1000 Mbit/s
//   tier 2 (regional):   RTT <= 30 ms and throughput >= 100 Mbit/s
//   tier 3 (WAN):        anything slower
// A link must meet both bounds of a tier; with no throughput sample yet the tier goes by RTT alone.
import type { LinkInfo } from '../codecs/select.ts'

export type NetworkTier = 1 | 2 | 3

export const TIER_THRESHOLDS: ReadonlyArray<{ tier: NetworkTier, maxRttMs: number, minMbps: number }> = [
  { tier: 1, maxRttMs: 2, minMbps: 1000 },
  { tier: 2, maxRttMs: 30, minMbps: 100 }
]

export function detectTier (rttMs: number, bandwidthMbps: number | null): NetworkTier {
  for (const t of TIER_THRESHOLDS) {
    if (rttMs <= t.maxRttMs && (bandwidthMbps === null || bandwidthMbps >= t.minMbps)) return t.tier
  }
  return 3
}

export interface LinkMeasurement {
  peer: string
  rttMs: number | null
  bandwidthMbps: number | null
  tier: NetworkTier | null
  rttSamples: number
  throughputSamples: number
}

const RTT_ALPHA = 0.2
const THROUGHPUT_WINDOW = 8

/**
 * Measurements per peer link. RTT is smoothed (EWMA, like TCP's SRTT); bandwidth is the best of the
 * last few transfer rates, since a single transfer is often limited by its sender, not the link.
 */
export class LinkMonitor {
  private readonly links = new Map<string, { rtt: number | null, rttN: number, rates: number[], rateN: number }>()

  private entry (peer: string): { rtt: number | null, rttN: number, rates: number[], rateN: number } {
    let e = this.links.get(peer)
    if (e === undefined) {
      e = { rtt: null, rttN: 0, rates: [], rateN: 0 }
      this.links.set(peer, e)
    }
    return e
  }

  recordRtt (peer: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return
    const e = this.entry(peer)
    e.rtt = e.rtt === null ? ms : e.rtt + RTT_ALPHA * (ms - e.rtt)
    e.rttN++
  }

  /** A transfer of `bytes` over `seconds`; ignored when too short to mean anything. */
  recordThroughput (peer: string, bytes: number, seconds: number): void {
    if (bytes < 1024 * 1024 || seconds <= 0) return
    const e = this.entry(peer)
    e.rates.push((bytes * 8) / 1e6 / seconds)
    if (e.rates.length > THROUGHPUT_WINDOW) e.rates.shift()
    e.rateN++
  }

  measurement (peer: string): LinkMeasurement {
    const e = this.links.get(peer)
    const rttMs = e?.rtt ?? null
    const bandwidthMbps = e === undefined || e.rates.length === 0 ? null : Math.max(...e.rates)
    return {
      peer,
      rttMs,
      bandwidthMbps,
      tier: rttMs === null ? null : detectTier(rttMs, bandwidthMbps),
      rttSamples: e?.rttN ?? 0,
      throughputSamples: e?.rateN ?? 0
    }
  }

  /** What the transfer planner and codec selector need, or null before any RTT sample. */
  link (peer: string, fallbackMbps = 1000): LinkInfo | null {
    const m = this.measurement(peer)
    if (m.rttMs === null) return null
    return { rttMs: m.rttMs, bandwidthMbps: m.bandwidthMbps ?? fallbackMbps }
  }

  tier (peer: string): NetworkTier | null {
    return this.measurement(peer).tier
  }

  all (): LinkMeasurement[] {
    return [...this.links.keys()].map((p) => this.measurement(p))
  }
}
