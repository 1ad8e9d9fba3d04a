// Placement policies: given a request and the hosts (capacity, placed load, liveness), which host to use.
// Pure and in integer arithmetic (fractions in parts per million), so every replica and the simulator
// compute the same choice; the learned policy (maddpg) is the one exception and is only ever advisory.

export interface Amount {
  cpu: number
  memMiB: number
  diskGiB: number
}

export interface HostView {
  id: string
  capacity: Amount
  used: Amount
  live: boolean
}

/** Chooses the index of a host in `hosts`, or -1 when none fits. Hosts come in a fixed order (by id). */
export interface Policy {
  readonly name: string
  choose (request: Amount, hosts: readonly HostView[]): number
}

export const HEURISTIC_POLICIES = ['first-fit', 'best-fit', 'k8s-least-allocated', 'k8s-most-allocated', 'k8s-balanced'] as const
/** What genesis `placement.policy` may name. */
export const PLACEMENT_POLICIES = [...HEURISTIC_POLICIES, 'maddpg'] as const
export type PlacementPolicyName = typeof PLACEMENT_POLICIES[number]

const PPM = 1_000_000
/** kube-scheduler's MaxNodeScore */
const MAX_NODE_SCORE = 100

/** The same integer rule as the state machine's `workload.place` check (src/state/machine.ts shortfall). */
export function fits (request: Amount, h: HostView): boolean {
  return h.live &&
    h.used.cpu + request.cpu <= h.capacity.cpu &&
    h.used.memMiB + request.memMiB <= h.capacity.memMiB &&
    h.used.diskGiB + request.diskGiB <= h.capacity.diskGiB
}

/** floor(x * PPM / cap), 0 for a zero capacity; exact below 2^53 (x, cap ≤ 2^32). */
function ppm (x: number, cap: number): number {
  return cap <= 0 ? 0 : Math.floor((x * PPM) / cap)
}

/** The feasible host with the highest score; ties go to the earlier host. */
function argmax (request: Amount, hosts: readonly HostView[], score: (h: HostView, i: number) => number): number {
  let best = -1
  let bestScore = -Infinity
  for (let i = 0; i < hosts.length; i++) {
    if (!fits(request, hosts[i])) continue
    const s = score(hosts[i], i)
    if (s > bestScore) { best = i; bestScore = s }
  }
  return best
}

/** The lowest-index host with room. */
export const firstFit: Policy = {
  name: 'first-fit',
  choose: (request, hosts) => hosts.findIndex((h) => fits(request, h))
}

/** Least leftover after placing: (free_c − c)/C + (free_m − m)/M, minimised (to 1e-6). */
export const bestFit: Policy = {
  name: 'best-fit',
  choose: (request, hosts) => argmax(request, hosts, (h) =>
    -(ppm(h.capacity.cpu - h.used.cpu - request.cpu, h.capacity.cpu) + ppm(h.capacity.memMiB - h.used.memMiB - request.memMiB, h.capacity.memMiB)))
}

// kube-scheduler NodeResourcesFit (cpu and memory, weight 1 each), with its int64 arithmetic:
// leastRequestedScore = (capacity − requested) · 100 / capacity, mostRequestedScore = requested · 100 /
// capacity, both over requested = placed + this pod, then the weighted mean by integer division. Its
// ties are broken at random; here by host order.
function k8sResourceScore (request: Amount, h: HostView, most: boolean): number {
  const one = (used: number, req: number, cap: number): number => {
    const requested = used + req
    if (cap === 0 || requested > cap) return 0
    return most ? Math.floor((requested * MAX_NODE_SCORE) / cap) : Math.floor(((cap - requested) * MAX_NODE_SCORE) / cap)
  }
  return Math.floor((one(h.used.cpu, request.cpu, h.capacity.cpu) + one(h.used.memMiB, request.memMiB, h.capacity.memMiB)) / 2)
}

export const k8sLeastAllocated: Policy = {
  name: 'k8s-least-allocated',
  choose: (request, hosts) => argmax(request, hosts, (h) => k8sResourceScore(request, h, false))
}

export const k8sMostAllocated: Policy = {
  name: 'k8s-most-allocated',
  choose: (request, hosts) => argmax(request, hosts, (h) => k8sResourceScore(request, h, true))
}

/** BalancedAllocation (balanced_allocation.go): (1 − std(fractions)) · 100, std = |f_cpu − f_mem| / 2 for
 * two resources, fractions capped at 1; kube computes it in float64 and truncates, here in ppm. */
export const k8sBalanced: Policy = {
  name: 'k8s-balanced',
  choose: (request, hosts) => argmax(request, hosts, (h) => {
    const fc = Math.min(PPM, ppm(h.used.cpu + request.cpu, h.capacity.cpu))
    const fm = Math.min(PPM, ppm(h.used.memMiB + request.memMiB, h.capacity.memMiB))
    const std = Math.floor(Math.abs(fc - fm) / 2)
    return Math.floor(((PPM - std) * MAX_NODE_SCORE) / PPM)
  })
}

/** Uniform over the feasible hosts; a baseline for the simulator, never a cluster policy. */
export function randomPolicy (next: () => number): Policy {
  return {
    name: 'random',
    choose: (request, hosts) => {
      const ok: number[] = []
      hosts.forEach((h, i) => { if (fits(request, h)) ok.push(i) })
      return ok.length === 0 ? -1 : ok[Math.floor(next() * ok.length)]
    }
  }
}

/** One bid per host (higher is better), e.g. a MADDPG actor applied to each host's observation. */
export type Bidder = (request: Amount, hosts: readonly HostView[]) => ArrayLike<number>

/** The highest feasible bid wins, bids rounded to 1e-6 so tiny float differences do not decide. */
export function biddingPolicy (name: string, bids: Bidder): Policy {
  return {
    name,
    choose: (request, hosts) => {
      const b = bids(request, hosts)
      return argmax(request, hosts, (_h, i) => Math.round(b[i] * PPM))
    }
  }
}

export const HEURISTICS: Record<typeof HEURISTIC_POLICIES[number], Policy> = {
  'first-fit': firstFit,
  'best-fit': bestFit,
  'k8s-least-allocated': k8sLeastAllocated,
  'k8s-most-allocated': k8sMostAllocated,
  'k8s-balanced': k8sBalanced
}
