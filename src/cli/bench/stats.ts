// Percentiles and medians for benchmark reports.
export function percentile (sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

export function median (values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Latencies weighted by how many transactions each observation acknowledged. */
export class LatencyRecorder {
  private readonly samples: Array<[ms: number, count: number]> = []

  add (ms: number, count: number): void { this.samples.push([ms, count]) }

  summary (): { p50: number | null, p90: number | null, p99: number | null } {
    const sorted = [...this.samples].sort((a, b) => a[0] - b[0])
    const total = sorted.reduce((n, [, c]) => n + c, 0)
    const at = (q: number): number | null => {
      if (total === 0) return null
      let seen = 0
      for (const [ms, c] of sorted) { seen += c; if (seen >= q * total) return Math.round(ms * 10) / 10 }
      return Math.round(sorted[sorted.length - 1][0] * 10) / 10
    }
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99) }
  }
}
