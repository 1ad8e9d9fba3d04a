// Client selection: which nodes train in a round. Every policy is pure (randomness comes in as `rand`)
// so the simulator and the node run the same code and a seed replays a run.
//   random: k clients uniformly (FedAvg then weights by n_k).
//   full:   every client (fewest rounds, most bytes).
//   oort:   Oort (Lai et al., OSDI 2021): statistical utility x system speed, with exploration.
//   tcs:    topology-aware (TCS-FEEL-style; the paper's algorithm body could not be read, see README):
//           randomised sampling weighted by link quality, reliability and data size, steered so the
//           selected clients' data mix stays close to the whole population's.

export type PolicyName = 'random' | 'full' | 'oort' | 'tcs'
export const POLICIES: readonly PolicyName[] = ['random', 'full', 'oort', 'tcs']

export interface ClientInfo {
  id: string
  /** Training windows held by the client. */
  samples: number
  /** Measured link to the coordinator (DWCP: best recent transfer rate, smoothed RTT). */
  linkMbps: number
  rttMs: number
  /** Share of time the node was reachable (the reliability model's score, or an availability trace). */
  reliability: number
  /** Share of the client's windows per throughput bin: a summary of its data, never the data. */
  histogram: number[]
  /** Expected seconds for one round on this client (compute + transfers), from past rounds or an estimate. */
  durationS: number
}

/** What the coordinator learns after a round: the loss each participant reported and how long it took. */
export interface RoundFeedback { round: number, results: Array<{ id: string, loss: number, samples: number, durationS: number }> }

export interface SelectionPolicy {
  readonly name: PolicyName
  select: (clients: readonly ClientInfo[], k: number, round: number, rand: () => number) => string[]
  observe: (f: RoundFeedback) => void
}

function sampleWithout (items: readonly string[], n: number, rand: () => number): string[] {
  const pool = [...items]
  const out: string[] = []
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rand() * pool.length), 1)[0])
  return out
}

/** Draws `n` ids without replacement in proportion to `weight` (re-evaluated after each draw). */
function weightedWithout (ids: readonly string[], n: number, rand: () => number, weight: (id: string, chosen: readonly string[]) => number): string[] {
  const pool = [...ids]
  const out: string[] = []
  while (out.length < n && pool.length > 0) {
    const w = pool.map(id => Math.max(0, weight(id, out)))
    const total = w.reduce((a, v) => a + v, 0)
    let i = 0
    if (total > 0 && Number.isFinite(total)) {
      let r = rand() * total
      while (i < pool.length - 1 && r >= w[i]) { r -= w[i]; i++ }
    } else {
      i = Math.floor(rand() * pool.length)
    }
    out.push(pool.splice(i, 1)[0])
  }
  return out
}

export function randomPolicy (): SelectionPolicy {
  return { name: 'random', select: (clients, k, _r, rand) => sampleWithout(clients.map(c => c.id), k, rand), observe: () => {} }
}

export function fullPolicy (): SelectionPolicy {
  return { name: 'full', select: clients => clients.map(c => c.id), observe: () => {} }
}

export interface OortOptions { explorationStart: number, explorationDecay: number, explorationMin: number, roundPenalty: number, preferredPercentile: number, cutoff: number }
export const OORT_DEFAULTS: OortOptions = { explorationStart: 0.9, explorationDecay: 0.98, explorationMin: 0.2, roundPenalty: 2, preferredPercentile: 0.8, cutoff: 0.95 }

/**
 * Oort's selector as in SymbioticLab/Oort: score = normalised statistical utility + a staleness bonus
 * sqrt(0.1 ln(round) / last_selected), times (T_pref / duration)^penalty for clients slower than the
 * preferred round time; exploit the clients within `cutoff` of the k-th score (sampled by score), explore
 * unexplored ones (fastest first) with a share epsilon that decays each round. Statistical utility is
 * n_i * sqrt(mean loss^2), from the loss each participant reported. Oort's pacer (relaxing T_pref when
 * utility flattens) is left out: T_pref is the `preferredPercentile` of the clients' durations.
 */
export function oortPolicy (opts: Partial<OortOptions> = {}): SelectionPolicy {
  const o = { ...OORT_DEFAULTS, ...opts }
  const utility = new Map<string, number>()
  const lastRound = new Map<string, number>()
  const duration = new Map<string, number>()
  let epsilon = o.explorationStart
  return {
    name: 'oort',
    select (clients, k, round, rand) {
      const n = Math.min(k, clients.length)
      const explored = clients.filter(c => utility.has(c.id))
      const unexplored = clients.filter(c => !utility.has(c.id))
      const durOf = (c: ClientInfo): number => duration.get(c.id) ?? c.durationS
      const sortedDur = clients.map(durOf).sort((a, b) => a - b)
      const tPref = sortedDur[Math.min(sortedDur.length - 1, Math.floor(o.preferredPercentile * (sortedDur.length - 1)))]
      const utils = explored.map(c => utility.get(c.id) as number)
      const lo = Math.min(...utils)
      const range = Math.max(1e-12, Math.max(...utils) - lo)
      const score = (c: ClientInfo): number => {
        let s = ((utility.get(c.id) as number) - lo) / range + Math.sqrt(0.1 * Math.log(Math.max(1, round)) / Math.max(1, lastRound.get(c.id) ?? 1))
        const d = durOf(c)
        if (d > tPref) s *= Math.pow(tPref / d, o.roundPenalty)
        return s
      }
      const exploreN = Math.min(unexplored.length, Math.max(unexplored.length > 0 && explored.length === 0 ? n : 0, Math.round(epsilon * n)))
      const exploitN = Math.min(explored.length, n - exploreN)
      const scored = explored.map(c => ({ id: c.id, s: score(c) })).sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : 1))
      let exploit: string[] = []
      if (exploitN > 0) {
        const kth = scored[exploitN - 1].s
        const eligible = scored.filter(x => x.s >= o.cutoff * kth)
        const sOf = new Map(eligible.map(x => [x.id, x.s]))
        exploit = weightedWithout(eligible.map(x => x.id), exploitN, rand, id => sOf.get(id) as number)
      }
      // Unexplored clients: the faster ones first, sampled by speed.
      const explore = weightedWithout(unexplored.map(c => c.id), n - exploit.length, rand, id => 1 / Math.max(1e-6, durOf(clients.find(c => c.id === id) as ClientInfo)))
      epsilon = Math.max(o.explorationMin, epsilon * o.explorationDecay)
      return [...exploit, ...explore]
    },
    observe (f) {
      for (const r of f.results) {
        utility.set(r.id, r.samples * Math.sqrt(r.loss * r.loss))
        lastRound.set(r.id, f.round)
        duration.set(r.id, r.durationS)
      }
    }
  }
}

/** Total-variation distance between two histograms of the same bins. */
export function tvDistance (a: readonly number[], b: readonly number[]): number {
  let s = 0
  for (let i = 0; i < Math.max(a.length, b.length); i++) s += Math.abs((a[i] ?? 0) - (b[i] ?? 0))
  return s / 2
}

/** The sample-weighted mixture of clients' histograms. */
export function mixture (clients: readonly ClientInfo[]): number[] {
  const bins = Math.max(0, ...clients.map(c => c.histogram.length))
  const out = new Array<number>(bins).fill(0)
  const total = clients.reduce((a, c) => a + c.samples, 0)
  if (total <= 0) return out
  for (const c of clients) c.histogram.forEach((v, i) => { out[i] += v * c.samples / total })
  return out
}

export interface TcsOptions { /** How strongly the data mix steers the draw. */ diversity: number }

/**
 * Topology-aware selection: client i is drawn with weight
 *   reliability_i * linkQuality_i * sqrt(n_i) * exp(-diversity * TV(mix(S + i), mix(all)))
 * where linkQuality = fastest round time / this client's round time (transfers over its measured link
 * plus compute), and S is the set drawn so far: randomised sampling that prefers good links, reachable
 * nodes and clients that make the round's data look like the population's. Aggregation then follows the
 * topology (see tree.ts).
 */
export function tcsPolicy (opts: Partial<TcsOptions> = {}): SelectionPolicy {
  const diversity = opts.diversity ?? 8
  const duration = new Map<string, number>()
  return {
    name: 'tcs',
    select (clients, k, _round, rand) {
      const byId = new Map(clients.map(c => [c.id, c]))
      const global = mixture(clients)
      const durOf = (c: ClientInfo): number => duration.get(c.id) ?? c.durationS
      const fastest = Math.min(...clients.map(durOf))
      return weightedWithout(clients.map(c => c.id), Math.min(k, clients.length), rand, (id, chosen) => {
        const c = byId.get(id) as ClientInfo
        const mix = mixture([...chosen.map(x => byId.get(x) as ClientInfo), c])
        return c.reliability * (fastest / Math.max(1e-9, durOf(c))) * Math.sqrt(c.samples) * Math.exp(-diversity * tvDistance(mix, global))
      })
    },
    observe (f) { for (const r of f.results) duration.set(r.id, r.durationS) }
  }
}

export function createPolicy (name: PolicyName): SelectionPolicy {
  switch (name) {
    case 'random': return randomPolicy()
    case 'full': return fullPolicy()
    case 'oort': return oortPolicy()
    case 'tcs': return tcsPolicy()
  }
}

export function isPolicyName (s: string): s is PolicyName { return (POLICIES as readonly string[]).includes(s) }
