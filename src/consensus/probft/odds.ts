// ProBFT's analytic odds (the "NovaCron model" of ../shared/design/notes/PROBFT.md §5.3), from exact binomial
// tails: what an operator reads from `novacron probft odds` to choose (l, o), and what parameter validation
// uses to refuse a genesis whose sampled quorums are too likely to fail. Pure math, no I/O.
//
// Model. q = ceil(l * sqrt(n)); each PREPARE / COMMIT goes to a sample of s = min(n, ceil(o * q)) distinct
// replicas drawn uniformly WITHOUT replacement from all n (the sender itself may be drawn; its own vote then
// counts locally): that is ProBFT's sampler (a partial Fisher-Yates over [0, n), PROBFT.md §3.4), and it sends
// exactly s copies. So a given replica is in a given sender's sample with probability exactly s/n,
// independently across senders (each sender's VRF output is independent), and the votes a replica receives
// from m senders are exactly Bin(m, s/n). Sampling with replacement would instead send duplicates and make
// the inclusion chance 1 - (1 - 1/n)^s; it is not what the protocol does.
//
// Every tail is computed as an exact rational (BigInt numerator over n^m) and only then rounded to a double,
// so the tiny tails keep their precision (log10 is given too, for values below the double range).

/**
 * The largest accepted per-decision safety odds, `decisionUnsafe` below: the union bound, over every replica
 * as the holder and both voting phases, that Byzantine votes alone fill a quorum in one decision (the event
 * sampled quorums cannot rule out; a conservative stand-in for a safety violation, which needs more).
 * Why 1e-9: the rate is what an operator lives with. At a sustained 100 decisions per second (a busy cluster;
 * each decision commits a batch) 1e-9 puts the expected time to the first such event at 1e7 s, about four
 * months, and at one decision per second at about 30 years; 1e-6 would be under three hours at 100/s. The
 * bound never makes ProBFT unavailable: with q > f the event is impossible, so every n has accepted settings
 * (recommendProbft), and what a tighter bound costs is messages (at f = floor((n - 1) / 3), n = 100, the
 * cheapest accepted setting sends 55% of PBFT's messages; at f = n / 5, 31%). A model bound, not the paper's
 * (its body was not available, PROBFT.md §0).
 */
export const PROBFT_MAX_FAILURE_ODDS = 1e-9

/**
 * The largest accepted chance that a given correct replica misses a phase quorum with f silent replicas.
 * A miss is a liveness cost (catch-up or the next view repairs it), never a safety one, so the bound is loose:
 * at 0.25 a view still completes for most replicas, and the design window at f ~ n/3 admits no tighter
 * bound together with the safety one above for n <= 200 (PROBFT.md §5.3 takeaway).
 */
export const PROBFT_MAX_MISS_ODDS = 0.25

export interface ProbftOddsInput {
  /** validators */
  readonly n: number
  /** Byzantine replicas assumed (silent for the liveness odds, colluding for the safety odds) */
  readonly f: number
  /** quorum factor: q = ceil(l * sqrt(n)) */
  readonly l: number
  /** redundancy factor: sample size s = min(n, ceil(o * q)) */
  readonly o: number
}

export interface Tail {
  /** the probability, rounded to a double (0 when below about 1e-308; see log10) */
  readonly p: number
  /** log10 of it (-Infinity for exactly 0) */
  readonly log10: number
}

export interface SampledQuorumOdds {
  readonly n: number
  readonly f: number
  readonly q: number
  readonly sampleSize: number
  /** s / n: the chance a given replica is in a given sender's sample */
  readonly inclusion: number
  /** P[Bin(n - f, s/n) < q]: a given correct replica misses a phase quorum while the f faulty are silent */
  readonly missQuorum: number
  readonly missQuorumLog10: number
  /** P[Bin(n, s/n) < q]: the same with no replica silent (the good case: a miss costs a catch-up's latency) */
  readonly missQuorumNoFaults: number
  /** (n - f) missQuorum: correct replicas expected to miss a given phase's quorum with f silent */
  readonly expectedMissesPerPhase: number
  /** P[Bin(f, s/n) >= q]: Byzantine votes alone fill a given replica's quorum (one phase) */
  readonly byzantineQuorum: number
  readonly byzantineQuorumLog10: number
  /** min(1, f * byzantineQuorum): some Byzantine holder can assemble a q-certificate from Byzantine votes alone
   *  (one phase; the notes' "f·byzQ") */
  readonly forgedCertificate: number
  /** min(1, 2 (n - f) missQuorum): union bound that some correct replica misses a quorum in one of the two
   *  voting phases of a decision under a correct leader, f silent (it then needs catch-up or a new view) */
  readonly decisionMiss: number
  /** min(1, 2 n byzantineQuorum): union bound, over every replica as holder and both phases, that some
   *  replica holds a quorum made of Byzantine votes alone in a decision: the event sampled quorums cannot
   *  rule out. Compared with PROBFT_MAX_FAILURE_ODDS. */
  readonly decisionUnsafe: number
  /** mean votes a replica receives per phase from the n - f correct and from the f Byzantine replicas */
  readonly expectedVotes: { readonly correct: number, readonly byzantine: number }
  /** the design window for o (PROBFT.md §5.3): o > n / (n - f) for liveness, o < n / f against forgery */
  readonly oWindow: { readonly livenessAbove: number, readonly unforgeableBelow: number }
  /** network messages per decision, good case, self-copies not sent: ProBFT (n - 1)(2s + 1) in expectation,
   *  PBFT 2n(n - 1), and their ratio */
  readonly messages: { readonly probft: number, readonly pbft: number, readonly ratio: number }
}

export interface ProbftOdds extends SampledQuorumOdds {
  readonly l: number
  readonly o: number
  /** decisionUnsafe <= PROBFT_MAX_FAILURE_ODDS and missQuorum <= PROBFT_MAX_MISS_ODDS and q <= n - f */
  readonly acceptable: boolean
  /** why not, in a sentence; null when acceptable */
  readonly refusal: string | null
}

// ---- exact binomial tails -------------------------------------------------------------------------------

/** num / den as a double and its log10, exact up to the final rounding. */
function ratio (num: bigint, den: bigint): Tail {
  if (num === 0n) return { p: 0, log10: -Infinity }
  // Scale so the integer quotient carries 64 significant bits, then put the exponent back.
  const shift = bitLength(num) - bitLength(den) - 64
  const quotient = shift >= 0 ? num / (den << BigInt(shift)) : (num << BigInt(-shift)) / den
  const mantissa = Number(quotient)
  const log10 = Math.log10(mantissa) + shift * Math.LOG10E * Math.LN2
  return { p: Math.min(1, mantissa * 2 ** shift), log10: Math.min(0, log10) }
}

function bitLength (x: bigint): number {
  const hex = x.toString(16)
  return (hex.length - 1) * 4 + parseInt(hex[0], 16).toString(2).length
}

/**
 * P[Bin(m, a/b) < k] (upper = false) or P[Bin(m, a/b) >= k] (upper = true), exactly. The terms
 * T(j) = C(m, j) a^j (b - a)^(m - j) are integers (the probabilities times b^m), each built from its neighbour
 * by exact integer division; whichever side of k has fewer terms is summed, and the other side is b^m minus
 * it, still exact.
 */
export function binomialTail (m: number, a: number, b: number, k: number, upper: boolean): Tail {
  if (!Number.isInteger(m) || m < 0 || !Number.isInteger(a) || !Number.isInteger(b) || b < 1 || a < 0 || a > b || !Number.isInteger(k)) {
    throw new RangeError(`binomialTail(${m}, ${a}/${b}, ${k}): need integers m >= 0, 0 <= a <= b, b >= 1`)
  }
  const ZERO: Tail = { p: 0, log10: -Infinity }
  const ONE: Tail = { p: 1, log10: 0 }
  // P[X >= k] for the degenerate cases, so the recurrences below never divide by zero.
  let atLeast: Tail | null = null
  if (k <= 0) atLeast = ONE
  else if (k > m) atLeast = ZERO
  else if (a === b) atLeast = ONE // X = m
  else if (a === 0) atLeast = ZERO // X = 0
  if (atLeast !== null) return upper ? atLeast : (atLeast === ONE ? ZERO : ONE)
  const A = BigInt(a)
  const B = BigInt(b - a)
  const total = BigInt(b) ** BigInt(m)
  let lowSum: bigint
  if (k <= m - k + 1) {
    // j = 0 .. k - 1 upward: T(0) = (b - a)^m, T(j + 1) = T(j) (m - j) a / ((j + 1) (b - a)).
    let term = B ** BigInt(m)
    lowSum = 0n
    for (let j = 0; j < k; j++) {
      lowSum += term
      term = term * BigInt(m - j) * A / (BigInt(j + 1) * B)
    }
  } else {
    // j = m .. k downward: T(m) = a^m, T(j - 1) = T(j) j (b - a) / ((m - j + 1) a).
    let term = A ** BigInt(m)
    let highSum = 0n
    for (let j = m; j >= k; j--) {
      highSum += term
      term = term * BigInt(j) * B / (BigInt(m - j + 1) * A)
    }
    lowSum = total - highSum
  }
  return ratio(upper ? total - lowSum : lowSum, total)
}

// ---- sizes ------------------------------------------------------------------------------------------------

// l and o are read to 1e-9 (so 1.1 * sqrt(100) is 11, not the 12 a float product's ceil would give); for
// multiples of 0.01 this equals the protocol's integer lPercent / oPercent arithmetic exactly.
const SCALE = 1_000_000_000n

function scaled (x: number, name: string): bigint {
  if (!Number.isFinite(x) || x <= 0 || x > 1e6) throw new RangeError(`${name} must be a positive number, got ${x}`)
  return BigInt(Math.round(x * 1e9))
}

/** q = ceil(l * sqrt(n)), exactly: the least q with (q * 1e9)^2 >= (l * 1e9)^2 * n. */
export function probftQuorum (n: number, l: number): number {
  const L = scaled(l, 'l')
  const target = L * L * BigInt(n)
  let q = Math.max(0, Math.floor(l * Math.sqrt(n)) - 2)
  while (BigInt(q) * SCALE * BigInt(q) * SCALE < target) q++
  return q
}

/** s = min(n, ceil(o * q)), exactly. */
export function probftSampleSize (n: number, q: number, o: number): number {
  const O = scaled(o, 'o')
  const s = (O * BigInt(q) + SCALE - 1n) / SCALE
  return Math.min(n, Number(s))
}

// ---- the odds ---------------------------------------------------------------------------------------------

function checkNf (n: number, f: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new RangeError(`n must be an integer from 1 to 100000, got ${n}`)
  if (!Number.isInteger(f) || f < 0 || f >= n) throw new RangeError(`f must be an integer from 0 to n - 1 = ${n - 1}, got ${f}`)
}

/** The odds for given sizes (what the protocol has once it computed q and s its own way). */
export function sampledQuorumOdds ({ n, f, q, sampleSize }: { n: number, f: number, q: number, sampleSize: number }): SampledQuorumOdds {
  checkNf(n, f)
  if (!Number.isInteger(q) || q < 1) throw new RangeError(`q must be a positive integer, got ${q}`)
  if (!Number.isInteger(sampleSize) || sampleSize < 1 || sampleSize > n) throw new RangeError(`sample size must be an integer from 1 to n = ${n}, got ${sampleSize}`)
  const miss = binomialTail(n - f, sampleSize, n, q, false)
  const byz = binomialTail(f, sampleSize, n, q, true)
  const p = sampleSize / n
  const probftMessages = (n - 1) * (2 * sampleSize + 1)
  const pbftMessages = 2 * n * (n - 1)
  return {
    n,
    f,
    q,
    sampleSize,
    inclusion: p,
    missQuorum: miss.p,
    missQuorumLog10: miss.log10,
    missQuorumNoFaults: binomialTail(n, sampleSize, n, q, false).p,
    expectedMissesPerPhase: (n - f) * miss.p,
    byzantineQuorum: byz.p,
    byzantineQuorumLog10: byz.log10,
    forgedCertificate: Math.min(1, f * byz.p),
    decisionMiss: Math.min(1, 2 * (n - f) * miss.p),
    decisionUnsafe: Math.min(1, 2 * n * byz.p),
    expectedVotes: { correct: (n - f) * p, byzantine: f * p },
    oWindow: { livenessAbove: n / (n - f), unforgeableBelow: f === 0 ? Infinity : n / f },
    messages: { probft: probftMessages, pbft: pbftMessages, ratio: pbftMessages === 0 ? 0 : probftMessages / pbftMessages }
  }
}

/** Why these odds are refused, or null: the quorum cannot form from correct replicas, or the odds exceed the bounds. */
export function probftRefusal (odds: SampledQuorumOdds, bounds: { maxFailureOdds?: number, maxMissOdds?: number } = {}): string | null {
  const maxFailure = bounds.maxFailureOdds ?? PROBFT_MAX_FAILURE_ODDS
  const maxMiss = bounds.maxMissOdds ?? PROBFT_MAX_MISS_ODDS
  if (odds.q > odds.n - odds.f) return `the quorum q=${odds.q} exceeds the ${odds.n - odds.f} correct replicas (use a smaller l)`
  if (odds.decisionUnsafe > maxFailure) return `Byzantine votes alone fill some replica's quorum in a decision with odds up to ${odds.decisionUnsafe.toExponential(2)}, over the bound ${maxFailure} (raise l, lower o, or assume fewer faults)`
  if (odds.missQuorum > maxMiss) return `a correct replica misses a phase quorum with odds ${odds.missQuorum.toExponential(2)} with ${odds.f} silent, over the bound ${maxMiss} (raise o or lower l)`
  return null
}

/** Everything `novacron probft odds` prints, for (n, f, l, o). */
export function probftOdds ({ n, f, l, o }: ProbftOddsInput): ProbftOdds {
  checkNf(n, f)
  const q = probftQuorum(n, l)
  const sampleSize = probftSampleSize(n, q, o)
  const odds = sampledQuorumOdds({ n, f, q, sampleSize })
  const refusal = probftRefusal(odds)
  return { ...odds, l, o, acceptable: refusal === null, refusal }
}

/**
 * The recommended (l, o) for n validators and f faults: of the settings on the protocol's 0.01 grid
 * (l up to 6, o from 1 to 3) that the bounds accept, the one with the fewest messages (smallest sample),
 * ties going to the smaller missQuorum; l and o are the smallest grid values that give its q and s. Null when
 * none is accepted (then use PBFT). For a fixed q the miss odds fall and the safety odds rise with s, so each
 * q needs one binary search; the search runs on double-precision log-space tails (fast for large n), and the
 * winner is then checked with the exact tails (a candidate the exact check refuses is skipped).
 */
export function recommendProbft (n: number, f: number, bounds: { maxFailureOdds?: number, maxMissOdds?: number } = {}): ProbftOdds | null {
  checkNf(n, f)
  const maxMiss = bounds.maxMissOdds ?? PROBFT_MAX_MISS_ODDS
  const maxFailure = bounds.maxFailureOdds ?? PROBFT_MAX_FAILURE_ODDS
  const tail = approxTails(n)
  const candidates: Array<{ l: number, o: number, q: number, s: number, miss: number }> = []
  let lastQ = 0
  for (let lp = 1; lp <= 600; lp++) {
    const l = lp / 100
    const q = probftQuorum(n, l)
    if (q === lastQ) continue
    lastQ = q
    if (q > n - f) break
    const sizeAt = (op: number): number => probftSampleSize(n, q, op / 100)
    const missAt = (op: number): number => tail.below(n - f, sizeAt(op) / n, q)
    // smallest o (hundredths, 100..300) whose sample keeps the miss odds within the bound
    let lo = 100
    let hi = 300
    if (missAt(hi) > maxMiss) continue
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (missAt(mid) <= maxMiss) hi = mid
      else lo = mid + 1
    }
    const s = sizeAt(lo)
    if (Math.min(1, 2 * n * tail.atLeast(f, s / n, q)) > maxFailure) continue
    candidates.push({ l, o: lo / 100, q, s, miss: missAt(lo) })
  }
  candidates.sort((a, b) => a.s - b.s || a.miss - b.miss)
  for (const c of candidates) {
    const odds = sampledQuorumOdds({ n, f, q: c.q, sampleSize: c.s })
    if (probftRefusal(odds, bounds) === null) return { ...odds, l: c.l, o: c.o, acceptable: true, refusal: null }
  }
  return null
}

/** Binomial tails in double precision from a log-factorial table: for the recommender's search only. */
function approxTails (n: number): { below: (m: number, p: number, k: number) => number, atLeast: (m: number, p: number, k: number) => number } {
  const lf = new Float64Array(n + 1)
  for (let i = 1; i <= n; i++) lf[i] = lf[i - 1] + Math.log(i)
  const pmf = (m: number, p: number, j: number): number => {
    if (p >= 1) return j === m ? 1 : 0
    if (p <= 0) return j === 0 ? 1 : 0
    return Math.exp(lf[m] - lf[j] - lf[m - j] + j * Math.log(p) + (m - j) * Math.log1p(-p))
  }
  return {
    below (m, p, k) {
      let sum = 0
      for (let j = 0; j < k && j <= m; j++) sum += pmf(m, p, j)
      return Math.min(1, sum)
    },
    atLeast (m, p, k) {
      let sum = 0
      for (let j = Math.max(0, k); j <= m; j++) sum += pmf(m, p, j)
      return Math.min(1, sum)
    }
  }
}
