// Chaos manifests: the protocol, the nodes, the client load and a timed schedule of faults, as JSON; and a
// seeded generator of random schedules from the same vocabulary. Pure: parsing and generating only.

export type FaultTarget = number | 'leader' | 'random'

export type Fault =
  /** kill -9, then start it again from its data dir after `restartAfterS` (never, when absent). */
  | { kind: 'kill', atS: number, target: FaultTarget, restartAfterS?: number }
  /** SIGSTOP, then SIGCONT after `forS`. */
  | { kind: 'pause', atS: number, target: FaultTarget, forS: number }
  /** No traffic between two nodes that share no group (node indices) for `forS`; a node in two groups is a
   *  bridge between them; `isolate` is one node against the rest. */
  | { kind: 'partition', atS: number, forS: number, groups?: number[][], isolate?: FaultTarget }
  /** Drops `percent` of the target's packets both ways for `forS`. */
  | { kind: 'loss', atS: number, target: FaultTarget, percent: number, forS: number }
  /** Caps the target's outbound bandwidth with tbf for `forS`. */
  | { kind: 'cap', atS: number, target: FaultTarget, mbit: number, forS: number }
  /** Adds `ms` one way to every connection into the target (a user-space proxy) for `forS`. */
  | { kind: 'delay', atS: number, target: FaultTarget, ms: number, forS: number }
  /** Fills the target's data dir (a small tmpfs) for `forS`, then frees it; `restart`: and restarts the
   *  node then, as its operator would (a node that hit a full disk stops voting until restarted). */
  | { kind: 'disk-full', atS: number, target: FaultTarget, forS: number, restart?: boolean }

export type FaultKind = Fault['kind']
export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition', 'loss', 'cap', 'delay', 'disk-full']
/** Faults that need root and network namespaces (the rest are signals to processes). */
export const NEEDS_NETNS: ReadonlySet<FaultKind> = new Set(['partition', 'loss', 'cap', 'delay', 'disk-full'])

export interface LoadSpec {
  /** Concurrent clients, each one operation at a time. */
  clients: number
  /** Keys the operations spread over (registers). */
  keys: number
  /** Share of operations that are linearizable reads (the rest are puts). */
  readRatio: number
  /** Pause between one client's operations. */
  thinkMs: number
  /** Per-operation timeout: past it the outcome is unknown. */
  timeoutMs: number
}

export interface Manifest {
  name: string
  protocol: string
  nodes: number
  /** How long the load runs; faults are timed from its start. */
  durationS: number
  load: LoadSpec
  faults: Fault[]
  /** Consensus parameters for the genesis (`--param K=V`), e.g. viewChangeTimeoutMs. */
  params?: Record<string, number>
  /** Nodes that run a simulator adversary inside the real node (`node start --byzantine MODE`); clients
   *  and the checks use only the other, honest nodes. "primary": the first view's primary. */
  byzantine?: Array<{ node: number | 'primary', mode: string }>
}

export class ManifestError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ManifestError'
  }
}

export const DEFAULT_LOAD: LoadSpec = { clients: 4, keys: 6, readRatio: 0.4, thinkMs: 40, timeoutMs: 6000 }

function num (v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ManifestError(`${where} must be a number from ${min} to ${max}`)
  return v
}

function target (v: unknown, where: string, nodes: number): FaultTarget {
  if (v === 'leader' || v === 'random') return v
  return num(v, where, 0, nodes - 1)
}

/** Checks a parsed manifest, filling defaults; throws ManifestError naming the field. */
export function parseManifest (raw: unknown): Manifest {
  if (raw === null || typeof raw !== 'object') throw new ManifestError('a manifest is a JSON object')
  const m = raw as Record<string, unknown>
  if (typeof m.name !== 'string' || m.name === '') throw new ManifestError('"name" must be a string')
  if (typeof m.protocol !== 'string') throw new ManifestError('"protocol" must be a protocol name')
  const nodes = num(m.nodes ?? 4, '"nodes"', 4, 16)
  const durationS = num(m.durationS, '"durationS"', 1, 3600)
  const l = (m.load ?? {}) as Record<string, unknown>
  const load: LoadSpec = {
    clients: num(l.clients ?? DEFAULT_LOAD.clients, 'load.clients', 1, 64),
    keys: num(l.keys ?? DEFAULT_LOAD.keys, 'load.keys', 1, 1000),
    readRatio: num(l.readRatio ?? DEFAULT_LOAD.readRatio, 'load.readRatio', 0, 1),
    thinkMs: num(l.thinkMs ?? DEFAULT_LOAD.thinkMs, 'load.thinkMs', 0, 60_000),
    timeoutMs: num(l.timeoutMs ?? DEFAULT_LOAD.timeoutMs, 'load.timeoutMs', 100, 600_000)
  }
  if (!Array.isArray(m.faults ?? [])) throw new ManifestError('"faults" must be an array')
  const faults = ((m.faults ?? []) as unknown[]).map((f, i): Fault => {
    const at = `faults[${i}]`
    if (f === null || typeof f !== 'object') throw new ManifestError(`${at} must be an object`)
    const x = f as Record<string, unknown>
    const atS = num(x.atS, `${at}.atS`, 0, durationS)
    switch (x.kind) {
      case 'kill': return { kind: 'kill', atS, target: target(x.target, `${at}.target`, nodes), ...(x.restartAfterS !== undefined ? { restartAfterS: num(x.restartAfterS, `${at}.restartAfterS`, 0, 3600) } : {}) }
      case 'pause': return { kind: 'pause', atS, target: target(x.target, `${at}.target`, nodes), forS: num(x.forS, `${at}.forS`, 0, 3600) }
      case 'partition': {
        const forS = num(x.forS, `${at}.forS`, 0, 3600)
        if (x.isolate !== undefined) return { kind: 'partition', atS, forS, isolate: target(x.isolate, `${at}.isolate`, nodes) }
        if (!Array.isArray(x.groups) || x.groups.length < 2) throw new ManifestError(`${at} needs "groups" (two or more arrays of node indices) or "isolate"`)
        const groups = (x.groups as unknown[]).map((g, j) => {
          if (!Array.isArray(g)) throw new ManifestError(`${at}.groups[${j}] must be an array`)
          return g.map((n, k) => num(n, `${at}.groups[${j}][${k}]`, 0, nodes - 1))
        })
        return { kind: 'partition', atS, forS, groups }
      }
      case 'loss': return { kind: 'loss', atS, target: target(x.target, `${at}.target`, nodes), percent: num(x.percent, `${at}.percent`, 0, 100), forS: num(x.forS, `${at}.forS`, 0, 3600) }
      case 'cap': return { kind: 'cap', atS, target: target(x.target, `${at}.target`, nodes), mbit: num(x.mbit, `${at}.mbit`, 0.01, 100_000), forS: num(x.forS, `${at}.forS`, 0, 3600) }
      case 'delay': return { kind: 'delay', atS, target: target(x.target, `${at}.target`, nodes), ms: num(x.ms, `${at}.ms`, 0, 10_000), forS: num(x.forS, `${at}.forS`, 0, 3600) }
      case 'disk-full': return { kind: 'disk-full', atS, target: target(x.target, `${at}.target`, nodes), forS: num(x.forS, `${at}.forS`, 0, 3600), ...(x.restart === true ? { restart: true } : {}) }
      default: throw new ManifestError(`${at}.kind must be one of ${FAULT_KINDS.join(', ')}`)
    }
  })
  let params: Record<string, number> | undefined
  if (m.params !== undefined) {
    if (m.params === null || typeof m.params !== 'object') throw new ManifestError('"params" must be an object of numbers')
    params = {}
    for (const [k, v] of Object.entries(m.params as Record<string, unknown>)) params[k] = num(v, `params.${k}`, 0, 1e9)
  }
  let byzantine: Manifest['byzantine']
  if (m.byzantine !== undefined) {
    if (!Array.isArray(m.byzantine)) throw new ManifestError('"byzantine" must be an array of { node, mode }')
    byzantine = m.byzantine.map((b: any, i: number) => {
      if (b === null || typeof b !== 'object' || typeof b.mode !== 'string') throw new ManifestError(`byzantine[${i}] needs "node" and "mode"`)
      return { node: b.node === 'primary' ? 'primary' as const : num(b.node, `byzantine[${i}].node`, 0, nodes - 1), mode: b.mode }
    })
    if (byzantine.length > Math.floor((nodes - 1) / 3)) throw new ManifestError(`at most f = ${Math.floor((nodes - 1) / 3)} Byzantine nodes among ${nodes}`)
  }
  return { name: m.name, protocol: m.protocol, nodes, durationS, load, faults: faults.sort((a, b) => a.atS - b.atS), ...(params != null ? { params } : {}), ...(byzantine != null ? { byzantine } : {}) }
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same schedule. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A random schedule over `kinds`: faults one after another (at most one at a time, so a 3f+1 cluster keeps
 * a quorum once each heals), each lasting 1-4 s with a second of calm after it.
 */
export function randomManifest (seed: number, opts: { protocol: string, nodes?: number, durationS?: number, kinds?: readonly FaultKind[] }): Manifest {
  const rnd = seededRandom(seed)
  const nodes = opts.nodes ?? 4
  const durationS = opts.durationS ?? 16
  const kinds = opts.kinds ?? FAULT_KINDS
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
  const who = (): FaultTarget => rnd() < 0.4 ? 'leader' : Math.floor(rnd() * nodes)
  const faults: Fault[] = []
  for (let t = 2; t < durationS - 4;) {
    const forS = 1 + Math.floor(rnd() * 4)
    const atS = t
    const kind = pick(kinds)
    switch (kind) {
      case 'kill': faults.push({ kind, atS, target: who(), restartAfterS: forS }); break
      case 'pause': faults.push({ kind, atS, target: who(), forS }); break
      case 'partition': {
        if (rnd() < 0.5) { faults.push({ kind, atS, forS, isolate: who() }); break }
        const order = Array.from({ length: nodes }, (_, i) => i).sort(() => rnd() - 0.5)
        const cut = 1 + Math.floor(rnd() * (nodes - 1))
        faults.push({ kind, atS, forS, groups: [order.slice(0, cut), order.slice(cut)] })
        break
      }
      case 'loss': faults.push({ kind, atS, target: who(), percent: pick([5, 10, 30]), forS }); break
      case 'cap': faults.push({ kind, atS, target: who(), mbit: pick([1, 5]), forS }); break
      case 'delay': faults.push({ kind, atS, target: who(), ms: pick([50, 200]), forS }); break
      // A node that hit a full disk stops voting until restarted (README): the schedule restarts it, as an operator would.
      case 'disk-full': faults.push({ kind, atS, target: who(), forS, restart: true }); break
    }
    t += forS + 1 + Math.floor(rnd() * 2)
  }
  return { name: `random-${seed}`, protocol: opts.protocol, nodes, durationS, load: DEFAULT_LOAD, faults }
}

/** When every fault has ended (its heal or restart), in seconds from the start of the load. */
export function lastHealS (m: Manifest): number {
  return m.faults.reduce((t, f) => Math.max(t, f.atS + ('forS' in f ? f.forS : f.kind === 'kill' ? (f.restartAfterS ?? 0) : 0)), 0)
}

/** Per node, the nodes a partition cuts it off from: every node it shares no group with. Groups may
 *  overlap, so a node in two groups is a bridge that reaches both sides while they cannot reach each other. */
export function cutLinks (groups: readonly (readonly number[])[]): Map<number, number[]> {
  const nodes = [...new Set(groups.flat())]
  return new Map(nodes.map(i => [i, nodes.filter(j => j !== i && !groups.some(g => g.includes(i) && g.includes(j)))]))
}
