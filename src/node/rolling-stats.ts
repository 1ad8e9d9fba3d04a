// Throughput over the last minute and commit-latency percentiles over recent commits, for `status`.
const WINDOW_MS = 60_000
const LATENCY_SAMPLES = 4096

export class RollingStats {
  private readonly seconds = new Map<number, number>()
  private readonly latencies = new Float64Array(LATENCY_SAMPLES)
  private latencyCount = 0

  add (nowMs: number, txs: number): void {
    const second = Math.floor(nowMs / 1000)
    this.seconds.set(second, (this.seconds.get(second) ?? 0) + txs)
    if (this.seconds.size > 120) for (const s of this.seconds.keys()) if (s < second - 60) this.seconds.delete(s)
  }

  latency (ms: number): void {
    this.latencies[this.latencyCount++ % LATENCY_SAMPLES] = ms
  }

  summary (nowMs: number): { tps1m: number, p50: number | null, p99: number | null } {
    const since = Math.floor((nowMs - WINDOW_MS) / 1000)
    let total = 0
    for (const [s, n] of this.seconds) if (s > since) total += n
    const n = Math.min(this.latencyCount, LATENCY_SAMPLES)
    if (n === 0) return { tps1m: Math.round(total / 60), p50: null, p99: null }
    const sorted = this.latencies.slice(0, n).sort()
    const at = (q: number): number => Math.round(sorted[Math.min(n - 1, Math.floor(q * n))] * 10) / 10
    return { tps1m: Math.round(total / 60), p50: at(0.5), p99: at(0.99) }
  }
}
