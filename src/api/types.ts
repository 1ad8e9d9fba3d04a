// The JSON shapes of CLI.md, shared by the admin API server, its client and the CLI. Fields are added,
// never renamed; a field a protocol does not have is null.
export interface PeerJson {
  id: string
  addr: string | null
  connected: boolean
  latencyMs: number | null
  msgsPerS: number
  tier: number | null
  reliability: number | null
  circuit: string | null
  validator: boolean
  consensus: string
}

export interface ComponentHealth {
  name: string
  status: 'ok' | 'degraded' | 'down'
  circuit: string | null
  restarts: number
}

export interface HealthJson {
  status: 'ok' | 'degraded' | 'down'
  components: ComponentHealth[]
}

export interface EventJson {
  at: string
  level: 'info' | 'warn' | 'error'
  msg: string
}

export interface StatusJson {
  nodeId: string
  /** sha256 of the canonical genesis (hex): what a client signs its transactions for */
  genesisHash: string
  cluster: string
  protocol: string
  n: number
  f: number
  role: 'validator' | 'observer'
  height: number
  view: number | null
  leader: string | null
  round: number | null
  dagSize: number | null
  lastAnchor: number | null
  /** Protocol-specific fields, or null (T-PBFT: epoch, epochConfig, group, acting, threshold, rankingTop,
   *  rankingBottom, innerFailovers, outerViewChanges). */
  consensus?: Readonly<Record<string, unknown>> | null
  stateRoot: string | null
  committedTx: number
  tps1m: number
  commitLatencyMs: { p50: number | null, p99: number | null }
  mempool: number
  uptimeS: number
  listen: string[]
  /** Durability settings read back from the database, so a regression shows. */
  storage: { journalMode: string, synchronous: string } | null
  peers: PeerJson[]
  health: HealthJson
  events: EventJson[]
  /** Each model's guard: who is in charge (model or its baseline), the live scores and why. */
  models?: ModelGuardJson[]
}

/** src/ml/guard.ts's GuardState, as the admin API sends it. */
export interface ModelGuardJson {
  model: string
  baseline: string
  inCharge: 'model' | 'baseline'
  modelLoss: number | null
  baselineLoss: number | null
  samples: number
  observed: number
  switches: number
  reason: string
}

export interface ErrorJson {
  error: { code: string, message: string }
}
