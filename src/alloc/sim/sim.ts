// The placement simulator: replays a request stream on a set of hosts under one policy, event by event
// (arrivals, departures, queue expiries), and measures what a policy is judged on: requests accepted and
// missed (count and vCPU-hours), allocation over time, and fragmentation. Deterministic for a given stream,
// except the decision timings, which are kept apart from the metrics.
import { mulberry32 } from '../../ml/train/random.ts'
import { fits, type Amount, type HostView, type Policy } from '../policies.ts'
import type { TraceHost, TraceRequest, TraceWindow } from './trace.ts'

export interface SimOptions {
  /** seconds a request may wait in the FIFO queue before it counts as missed (ALLOCATION-AND-FL.md: 300) */
  waitS?: number
  /** seconds at the window's start excluded from the metrics (the cluster starts empty) */
  warmupS?: number
  /** seconds between utilisation samples */
  sampleS?: number
  /** check after every event that no host exceeds its capacity, and that every accepted request is released once */
  check?: boolean
}

export interface SimMetrics {
  policy: string
  requests: number
  accepted: number
  missed: number
  missedPct: number
  offeredVcpuH: number
  missedVcpuH: number
  missedVcpuHPct: number
  /** time-weighted share of the cluster's vCPUs and memory allocated (after warm-up) */
  cpuAlloc: number
  memAlloc: number
  /** mean share of free vCPU that a request drawn from the window's flavour mix could not use (FGD-style) */
  fragmentation: number
  /** mean share of all vCPUs free on hosts with too little memory for the smallest request (LAVA-style) */
  strandedCpu: number
  meanActiveHosts: number
  meanWaitS: number
  series: Array<{ t: number, cpu: number, mem: number }>
}

export interface SimResult {
  metrics: SimMetrics
  /** placement decision times, microseconds (not deterministic; not part of the metrics) */
  decisionUs: number[]
}

interface Running { end: number, placedAt: number, host: number, req: TraceRequest, id: number }

/** A binary min-heap of departures by end time (ties by id, so runs are deterministic). */
class Departures {
  private readonly a: Running[] = []
  get size (): number { return this.a.length }
  peek (): Running | undefined { return this.a[0] }
  private less (i: number, j: number): boolean { return this.a[i].end < this.a[j].end || (this.a[i].end === this.a[j].end && this.a[i].id < this.a[j].id) }
  push (r: Running): void {
    const a = this.a
    a.push(r)
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1
      if (!this.less(i, p)) break
      ;[a[i], a[p]] = [a[p], a[i]]
      i = p
    }
  }

  pop (): Running | undefined {
    const a = this.a
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      for (let i = 0; ;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && this.less(l, m)) m = l
        if (r < a.length && this.less(r, m)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m], a[i]]
        i = m
      }
    }
    return top
  }
}

const vcpuH = (r: TraceRequest, end: number): number => (r.cpu / 1000) * Math.max(0, Math.min(r.durationS, end - r.t)) / 3600

export function simulate (policy: Policy, hosts: readonly TraceHost[], window: TraceWindow, requests: readonly TraceRequest[], opts: SimOptions = {}): SimResult {
  const waitS = opts.waitS ?? 300
  const measureFrom = window.start + (opts.warmupS ?? 86_400)
  const sampleS = opts.sampleS ?? 3600
  const view: HostView[] = hosts.map((h) => ({ id: h.id, capacity: h.capacity, used: { cpu: 0, memMiB: 0, diskGiB: 0 }, live: true }))
  const totalCpu = hosts.reduce((s, h) => s + h.capacity.cpu, 0)
  const totalMem = hosts.reduce((s, h) => s + h.capacity.memMiB, 0)
  const shapes = flavourMix(requests)
  const minMem = Math.min(...shapes.map((s) => s.memMiB))
  const departures = new Departures()
  const queue: Array<{ req: TraceRequest, id: number }> = []
  const released = opts.check === true ? new Map<number, number>() : null
  const placedIds = opts.check === true ? new Set<number>() : null
  const decisionUs: number[] = []
  let accepted = 0; let missed = 0; let counted = 0; let offeredVcpuH = 0; let missedVcpuH = 0; let waitSum = 0
  let cpuArea = 0; let memArea = 0; let lastT = measureFrom
  let fragSum = 0; let strandedSum = 0; let activeSum = 0; let samples = 0
  let nextSample = measureFrom
  const series: SimMetrics['series'] = []
  let usedCpu = 0; let usedMem = 0

  const advance = (t: number): void => {
    while (nextSample <= t && nextSample <= window.end) {
      const s = sample(view, shapes, minMem, totalCpu)
      fragSum += s.fragmentation; strandedSum += s.stranded; activeSum += s.active; samples++
      series.push({ t: nextSample, cpu: round4(usedCpu / totalCpu), mem: round4(usedMem / totalMem) })
      nextSample += sampleS
    }
    const to = Math.min(t, window.end)
    if (to > lastT) { cpuArea += usedCpu * (to - lastT); memArea += usedMem * (to - lastT); lastT = to }
  }
  const checkCapacity = (): void => {
    if (opts.check !== true) return
    for (const h of view) {
      if (h.used.cpu > h.capacity.cpu || h.used.memMiB > h.capacity.memMiB || h.used.cpu < 0 || h.used.memMiB < 0) throw new Error(`${policy.name}: host ${h.id} at ${h.used.cpu}/${h.capacity.cpu} cpu, ${h.used.memMiB}/${h.capacity.memMiB} MiB`)
    }
  }
  const tryPlace = (req: TraceRequest, id: number, now: number): boolean => {
    const t0 = performance.now()
    const i = policy.choose(req, view)
    decisionUs.push((performance.now() - t0) * 1000)
    if (i < 0) return false
    const h = view[i]
    if (!fits(req, h)) throw new Error(`${policy.name} chose host ${h.id}, which has no room`)
    h.used = { cpu: h.used.cpu + req.cpu, memMiB: h.used.memMiB + req.memMiB, diskGiB: 0 }
    usedCpu += req.cpu; usedMem += req.memMiB
    departures.push({ end: now + req.durationS, placedAt: now, host: i, req, id })
    if (placedIds !== null) {
      if (placedIds.has(id)) throw new Error(`${policy.name}: request ${id} placed twice`)
      placedIds.add(id)
    }
    if (req.t >= measureFrom) { accepted++; waitSum += now - req.t }
    checkCapacity()
    return true
  }
  const release = (r: Running): void => {
    const h = view[r.host]
    h.used = { cpu: h.used.cpu - r.req.cpu, memMiB: h.used.memMiB - r.req.memMiB, diskGiB: 0 }
    usedCpu -= r.req.cpu; usedMem -= r.req.memMiB
    if (released !== null) {
      released.set(r.id, (released.get(r.id) ?? 0) + 1)
      if (r.end !== r.placedAt + r.req.durationS) throw new Error(`${policy.name}: request ${r.id} released at ${r.end}, not placement + duration`)
    }
    checkCapacity()
  }
  const miss = (req: TraceRequest): void => {
    if (req.t >= measureFrom) { missed++; missedVcpuH += vcpuH(req, window.end) }
  }
  const drainQueue = (now: number): void => {
    for (let k = 0; k < queue.length;) {
      if (tryPlace(queue[k].req, queue[k].id, now)) queue.splice(k, 1)
      else k++
    }
  }
  // The queue is in arrival order, so the head always expires first.
  const expire = (now: number): void => {
    while (queue.length > 0 && queue[0].req.t + waitS < now) miss(queue.shift()!.req)
  }

  let next = 0
  for (;;) {
    const arrival = next < requests.length ? requests[next].t : Infinity
    const departure = departures.peek()?.end ?? Infinity
    const expiry = queue.length > 0 ? queue[0].req.t + waitS : Infinity
    const now = Math.min(arrival, departure, expiry)
    if (now === Infinity) break
    advance(now)
    if (departure === now) {
      release(departures.pop()!)
      while (departures.peek()?.end === now) release(departures.pop()!)
      drainQueue(now)
    } else if (expiry === now && expiry < arrival) {
      expire(now + 1e-9)
    } else {
      const req = requests[next]
      const id = next++
      if (req.t >= measureFrom) { counted++; offeredVcpuH += vcpuH(req, window.end) }
      expire(now)
      if (!tryPlace(req, id, now)) queue.push({ req, id })
    }
  }
  advance(window.end)
  if (released !== null && placedIds !== null) {
    if (departures.size !== 0 || queue.length !== 0) throw new Error(`${policy.name}: ${departures.size} running and ${queue.length} queued at the end`)
    for (const [id, n] of released) if (n !== 1) throw new Error(`${policy.name}: request ${id} released ${n} times`)
    if (released.size !== placedIds.size) throw new Error(`${policy.name}: ${placedIds.size} placed but ${released.size} released`)
    if (usedCpu !== 0 || usedMem !== 0 || view.some((h) => h.used.cpu !== 0 || h.used.memMiB !== 0)) throw new Error(`${policy.name}: resources left allocated after every release`)
  }
  const span = Math.max(1, window.end - measureFrom)
  return {
    metrics: {
      policy: policy.name,
      requests: counted,
      accepted,
      missed,
      missedPct: pct(missed, counted),
      offeredVcpuH: round4(offeredVcpuH),
      missedVcpuH: round4(missedVcpuH),
      missedVcpuHPct: pct(missedVcpuH, offeredVcpuH),
      cpuAlloc: round4(cpuArea / (totalCpu * span)),
      memAlloc: round4(memArea / (totalMem * span)),
      fragmentation: round4(samples === 0 ? 0 : fragSum / samples),
      strandedCpu: round4(samples === 0 ? 0 : strandedSum / samples),
      meanActiveHosts: round4(samples === 0 ? 0 : activeSum / samples),
      meanWaitS: round4(accepted === 0 ? 0 : waitSum / accepted),
      series
    },
    decisionUs
  }
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4
const pct = (a: number, b: number): number => b === 0 ? 0 : round4((100 * a) / b)

/** The window's request shapes with their frequencies. */
export function flavourMix (requests: readonly TraceRequest[]): Array<Amount & { p: number }> {
  const counts = new Map<string, { cpu: number, memMiB: number, n: number }>()
  for (const r of requests) {
    const k = `${r.cpu}/${r.memMiB}`
    const c = counts.get(k)
    if (c === undefined) counts.set(k, { cpu: r.cpu, memMiB: r.memMiB, n: 1 })
    else c.n++
  }
  const all = [...counts.values()].sort((a, b) => b.n - a.n).slice(0, 64)
  const total = all.reduce((s, c) => s + c.n, 0)
  return all.map((c) => ({ cpu: c.cpu, memMiB: c.memMiB, diskGiB: 0, p: c.n / total }))
}

function sample (view: readonly HostView[], shapes: ReadonlyArray<Amount & { p: number }>, minMem: number, totalCpu: number): { fragmentation: number, stranded: number, active: number } {
  let free = 0; let unusable = 0; let stranded = 0; let active = 0
  for (const h of view) {
    const fc = h.capacity.cpu - h.used.cpu
    const fm = h.capacity.memMiB - h.used.memMiB
    if (h.used.cpu > 0) active++
    free += fc
    if (fm < minMem) stranded += fc
    for (const s of shapes) if (s.cpu > fc || s.memMiB > fm) unusable += s.p * fc
  }
  return { fragmentation: free === 0 ? 0 : unusable / free, stranded: stranded / totalCpu, active }
}

/** Offered load of a stream: the larger of its time-averaged cpu and memory demand over the cluster's
 * capacity, over the measured part of the window. It depends on the stream only, never on a policy. */
export function offeredLoad (requests: readonly TraceRequest[], hosts: readonly TraceHost[], window: TraceWindow, warmupS = 86_400): number {
  const from = window.start + warmupS
  const span = window.end - from
  let cpu = 0; let mem = 0
  for (const r of requests) {
    const overlap = Math.max(0, Math.min(r.t + r.durationS, window.end) - Math.max(r.t, from))
    cpu += r.cpu * overlap; mem += r.memMiB * overlap
  }
  const capC = hosts.reduce((s, h) => s + h.capacity.cpu, 0)
  const capM = hosts.reduce((s, h) => s + h.capacity.memMiB, 0)
  return Math.max(cpu / (capC * span), mem / (capM * span))
}

/** Keeps each request with probability p (per VM), seeded; the same seed gives the same stream for every policy. */
export function thin (requests: readonly TraceRequest[], p: number, seed: number): TraceRequest[] {
  const rand = mulberry32(seed)
  return requests.filter(() => rand() < p)
}

/** The thinned stream whose offered load is `load` (p from the full stream's own load). */
export function streamAtLoad (window: TraceWindow, hosts: readonly TraceHost[], load: number, seed: number, warmupS = 86_400): { requests: TraceRequest[], p: number, offered: number } {
  const full = offeredLoad(window.requests, hosts, window, warmupS)
  const p = Math.min(1, load / full)
  const requests = thin(window.requests, p, seed)
  return { requests, p, offered: offeredLoad(requests, hosts, window, warmupS) }
}
