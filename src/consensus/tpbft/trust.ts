// EigenTrust (Kamvar, Schlosser, Garcia-Molina, WWW 2003, Algorithm 2: pre-trusted peers and damping) in
// fixed-point integer arithmetic, for T-PBFT's group election (design note TPBFT.md §2, §4.3).
//
// API (stable; the tpbft protocol and its epoch configuration call these):
//   eigenTrust({ local, preTrust?, convicted?, dampingPpm, iterations }) => { trust (Q48 bigint), quantised (Q32) }
//   eigenTrustTrace(same input) => every iterate t^0..t^k (for the contraction tests and offline checks)
//   uniformPreTrust(n, convicted?) => p, uniform over the validators that are not convicted
//   quantise(t) => round(t * 2^32) as a number
//   ONE, FRACTION_BITS, QUANTISED_BITS: the fixed-point scales
//
// Why integers, not doubles: JavaScript's + - * / on doubles are correctly rounded, so a fixed evaluation
// order would already be reproducible in JS; but the configuration hash is consensus-critical state, and a
// verifier in another language (or a compiler that fuses multiply-adds) must reproduce it bit for bit.
// BigInt fixed point is exact by definition (floor division on non-negative integers, no rounding modes,
// no FMA) and costs microseconds at cluster sizes (n <= a few hundred, 32 iterations of n^2 products).
// Scores are computed in Q48 and quantised to Q32 before anyone compares them, so differences below 2^-32
// are ties that the epoch's hash tie-break settles (epoch.ts).

/** Bits after the binary point of the internal trust values. */
export const FRACTION_BITS = 48
/** 1.0 in the internal scale. */
export const ONE = 1n << BigInt(FRACTION_BITS)
/** Bits of the quantised scores that rankings and the configuration hash use. */
export const QUANTISED_BITS = 32
/** 1.0 in the quantised scale (a Number: every quantised score fits 33 bits). */
export const QUANTISED_ONE = 2 ** QUANTISED_BITS
/** Damping is given in millionths, so the genesis parameter 0.15 is the exact integer 150000. */
export const PPM = 1_000_000

export interface EigenTrustInput {
  /** s_ij: local trust of rater i (row) in ratee j (column), integers, any sign; n x n in the canonical
   *  validator order. Negative entries count as 0 (Kamvar's max(s_ij, 0)); the diagonal is ignored. */
  readonly local: readonly (readonly number[])[]
  /** p: pre-trust, Q48, summing to about ONE; default uniform over the validators not convicted. */
  readonly preTrust?: readonly bigint[]
  /** Convicted validators (true at their index): their column is zeroed before normalisation, their own
   *  ratings are ignored (the row falls back to p) and their pre-trust is 0, so their trust is exactly 0. */
  readonly convicted?: readonly boolean[]
  /** a in millionths, 0..1e6: the weight of p in every step (a = 1e6 gives t = p). */
  readonly dampingPpm: number
  /** Exactly this many steps t^{k+1} = (1 - a) C^T t^k + a p from t^0 = p, with no early exit. */
  readonly iterations: number
}

export interface EigenTrustResult {
  /** Global trust per validator, Q48 (floor rounding at every step). */
  readonly trust: readonly bigint[]
  /** round(trust * 2^32 / ONE): what rankings and hashes use. */
  readonly quantised: readonly number[]
}

/** Uniform over the validators that are not convicted (all n when none is); the floor remainder is left out,
 *  so the sum is ONE minus less than n units of 2^-48. All convicted: all zero. */
export function uniformPreTrust (n: number, convicted: readonly boolean[] = []): bigint[] {
  const live = Array.from({ length: n }, (_, i) => convicted[i] !== true)
  const count = live.filter(Boolean).length
  if (count === 0) return new Array<bigint>(n).fill(0n)
  const share = ONE / BigInt(count)
  return live.map((l) => (l ? share : 0n))
}

/** round(t * 2^32 / 2^48), half up. */
export function quantise (t: bigint): number {
  const shift = BigInt(FRACTION_BITS - QUANTISED_BITS)
  return Number((t + (1n << (shift - 1n))) >> shift)
}

function checkInput (input: EigenTrustInput): void {
  const n = input.local.length
  if (n === 0) throw new RangeError('EigenTrust needs at least one validator')
  for (const row of input.local) {
    if (row.length !== n) throw new RangeError(`local trust must be ${n} x ${n}, a row has ${row.length} entries`)
    for (const s of row) if (!Number.isSafeInteger(s)) throw new RangeError(`local trust entries must be safe integers, got ${s}`)
  }
  if (!Number.isInteger(input.dampingPpm) || input.dampingPpm < 0 || input.dampingPpm > PPM) throw new RangeError(`dampingPpm must be an integer in 0..${PPM}, got ${input.dampingPpm}`)
  if (!Number.isInteger(input.iterations) || input.iterations < 0) throw new RangeError(`iterations must be a non-negative integer, got ${input.iterations}`)
  if (input.preTrust !== undefined && input.preTrust.length !== n) throw new RangeError(`pre-trust has ${input.preTrust.length} entries for ${n} validators`)
  if (input.convicted !== undefined && input.convicted.length !== n) throw new RangeError(`convicted has ${input.convicted.length} entries for ${n} validators`)
}

/** C: c_ij = max(s_ij, 0) / sum_k max(s_ik, 0) in Q48, rows of convicted raters and rows without a
 *  positive rating replaced by p, columns of convicted ratees zero, self-ratings ignored. */
function normalised (input: EigenTrustInput, p: readonly bigint[]): bigint[][] {
  const n = input.local.length
  const convicted = input.convicted ?? []
  return input.local.map((row, i) => {
    const positive = row.map((s, j) => (i === j || convicted[j] === true || s <= 0 ? 0n : BigInt(s)))
    const total = positive.reduce((a, b) => a + b, 0n)
    if (convicted[i] === true || total === 0n) return [...p]
    const out = new Array<bigint>(n)
    for (let j = 0; j < n; j++) out[j] = (positive[j] * ONE) / total
    return out
  })
}

/** Every iterate t^0 = p, t^1, ..., t^iterations. */
export function eigenTrustTrace (input: EigenTrustInput): bigint[][] {
  checkInput(input)
  const n = input.local.length
  const p = input.preTrust ?? uniformPreTrust(n, input.convicted)
  const c = normalised(input, p)
  const a = (BigInt(input.dampingPpm) * ONE) / BigInt(PPM)
  const keep = ONE - a
  const damp = p.map((pj) => (a * pj) >> BigInt(FRACTION_BITS))
  const trace: bigint[][] = [[...p]]
  let t = [...p]
  for (let k = 0; k < input.iterations; k++) {
    const next = new Array<bigint>(n)
    // Column j of C^T t, summed over raters in index order: the one canonical evaluation order.
    for (let j = 0; j < n; j++) {
      let flow = 0n
      for (let i = 0; i < n; i++) flow += c[i][j] * t[i]
      next[j] = ((keep * (flow >> BigInt(FRACTION_BITS))) >> BigInt(FRACTION_BITS)) + damp[j]
    }
    t = next
    trace.push(t)
  }
  return trace
}

export function eigenTrust (input: EigenTrustInput): EigenTrustResult {
  const trace = eigenTrustTrace(input)
  const trust = trace[trace.length - 1]
  return { trust, quantised: trust.map(quantise) }
}

/** L1 distance of two Q48 vectors, in Q48 units (for the contraction bound). */
export function l1Distance (a: readonly bigint[], b: readonly bigint[]): bigint {
  let d = 0n
  for (let i = 0; i < a.length; i++) d += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]
  return d
}
