// The four properties every run must have. Each returns human-readable violations; none means it holds.

export interface NodeRecord {
  readonly index: number
  readonly honest: boolean
  /** seq -> batch id (hex) of what this node committed. */
  readonly commits: ReadonlyMap<number, string>
  /** seq -> tx keys of the committed batch. */
  readonly committedTxs: ReadonlyMap<number, readonly string[]>
  /** seq -> state root (hex) after executing it. */
  readonly roots: ReadonlyMap<number, string>
  /** Transaction keys in the order the state machine applied them. */
  readonly applied: readonly string[]
  /** epoch -> configuration hash it reported, for protocols with epochs (T-PBFT), across its restarts. */
  readonly epochConfigs?: ReadonlyMap<number, string>
  /** Epochs it reported with two different configurations (say, before and after a restart). */
  readonly epochConfigChanges?: ReadonlyArray<{ readonly epoch: number, readonly was: string, readonly now: string }>
}

export interface TxRecord {
  readonly key: string
  readonly submittedAt: number
  /** When the (f+1)-th honest node applied it: a client would see f+1 matching replies. */
  readonly doneAt: number | undefined
}

export interface RunRecord {
  readonly nodes: readonly NodeRecord[]
  readonly submitted: ReadonlySet<string>
  readonly txs: readonly TxRecord[]
  readonly stabilizeAt: number
  readonly livenessBoundMs: number
}

const MAX_REPORTED = 5

function capped (violations: string[]): string[] {
  return violations.length <= MAX_REPORTED ? violations : [...violations.slice(0, MAX_REPORTED), `... and ${violations.length - MAX_REPORTED} more`]
}

/** No two honest nodes commit different batches (or reach different roots) at one sequence number. */
export function checkAgreement (run: RunRecord): string[] {
  const out: string[] = []
  const batchAt = new Map<number, { id: string, node: number }>()
  const rootAt = new Map<number, { root: string, node: number }>()
  for (const node of run.nodes) {
    if (!node.honest) continue
    for (const [seq, id] of node.commits) {
      const first = batchAt.get(seq)
      if (first === undefined) batchAt.set(seq, { id, node: node.index })
      else if (first.id !== id) out.push(`agreement: seq ${seq} committed as ${first.id.slice(0, 12)} by node ${first.node} but ${id.slice(0, 12)} by node ${node.index}`)
    }
    for (const [seq, root] of node.roots) {
      const first = rootAt.get(seq)
      if (first === undefined) rootAt.set(seq, { root, node: node.index })
      else if (first.root !== root) out.push(`agreement: state root at ${seq} differs between node ${first.node} and node ${node.index}`)
    }
  }
  return capped(out)
}

/** Honest nodes commit only submitted transactions and apply each at most once. */
export function checkValidity (run: RunRecord): string[] {
  const out: string[] = []
  for (const node of run.nodes) {
    if (!node.honest) continue
    for (const [seq, keys] of node.committedTxs) {
      for (const k of keys) if (!run.submitted.has(k)) out.push(`validity: node ${node.index} committed unsubmitted tx ${k.slice(0, 12)} at seq ${seq}`)
    }
    const seen = new Set<string>()
    for (const k of node.applied) {
      if (seen.has(k)) out.push(`validity: node ${node.index} applied tx ${k.slice(0, 12)} twice`)
      seen.add(k)
    }
  }
  return capped(out)
}

/** Once the network is stable, every submitted transaction commits within the bound. */
export function checkLiveness (run: RunRecord): string[] {
  const out: string[] = []
  for (const tx of run.txs) {
    const from = Math.max(tx.submittedAt, run.stabilizeAt)
    if (tx.doneAt === undefined) out.push(`liveness: tx ${tx.key.slice(0, 12)} submitted at ${tx.submittedAt.toFixed(0)} ms never committed`)
    else if (tx.doneAt - from > run.livenessBoundMs) out.push(`liveness: tx ${tx.key.slice(0, 12)} took ${(tx.doneAt - from).toFixed(0)} ms after stabilization (bound ${run.livenessBoundMs})`)
  }
  return capped(out)
}

/** Every honest node holds the same configuration for every epoch it reached, whether it got there in order,
 *  after a restart from its WAL, or by state transfer across the boundary (protocols without epochs report none). */
export function checkEpochConfigs (run: RunRecord): string[] {
  const out: string[] = []
  const first = new Map<number, { config: string, node: number }>()
  for (const node of run.nodes) {
    if (!node.honest) continue
    for (const c of node.epochConfigChanges ?? []) out.push(`epoch-config: node ${node.index} reported epoch ${c.epoch} as ${c.was.slice(0, 12)} and later ${c.now.slice(0, 12)}`)
    for (const [epoch, config] of node.epochConfigs ?? []) {
      const f = first.get(epoch)
      if (f === undefined) first.set(epoch, { config, node: node.index })
      else if (f.config !== config) out.push(`epoch-config: epoch ${epoch} is ${f.config.slice(0, 12)} at node ${f.node} but ${config.slice(0, 12)} at node ${node.index}`)
    }
  }
  return capped(out)
}

/** The same seed gives the same trace. */
export function checkDeterminism (first: string, second: string): string[] {
  return first === second ? [] : [`determinism: same seed, different traces (${first} vs ${second})`]
}
