// TEMPORARY until the vrf branch's odds.ts (probftOdds, PROBFT_MAX_FAILURE_ODDS) is merged: exact binomial
// tails of the two quantities parameter validation needs. Each sender's sample holds a given replica with
// probability s/n, independently across senders.

/** Largest accepted f * P[Bin(f, s/n) >= q] (Byzantine votes alone fill some replica's quorum). */
export const PROBFT_MAX_FAILURE_ODDS = 1e-6
/** Largest accepted per-replica chance of missing a quorum with f silent (catch-up covers the misses). */
export const PROBFT_MAX_MISS_ODDS = 0.25

function logChoose (n: number, k: number): number {
  let s = 0
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i)
  return s
}

function pmf (n: number, k: number, p: number): number {
  if (p >= 1) return k === n ? 1 : 0
  if (p <= 0) return k === 0 ? 1 : 0
  return Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p))
}

/** P[Bin(n, p) < q]. */
export function binomialBelow (n: number, p: number, q: number): number {
  let s = 0
  for (let k = 0; k < q && k <= n; k++) s += pmf(n, k, p)
  return Math.min(1, s)
}

/** P[Bin(n, p) >= q], summed from the top so small tails keep their precision. */
export function binomialAtLeast (n: number, p: number, q: number): number {
  let s = 0
  for (let k = Math.max(0, q); k <= n; k++) s += pmf(n, k, p)
  return Math.min(1, s)
}

export function probftOdds (o: { n: number, f: number, q: number, sampleSize: number }): { missQuorum: number, byzantineQuorum: number } {
  const p = o.sampleSize / o.n
  return { missQuorum: binomialBelow(o.n - o.f, p, o.q), byzantineQuorum: binomialAtLeast(o.f, p, o.q) }
}
