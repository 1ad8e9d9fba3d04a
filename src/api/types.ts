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
  /** Protocol-specific figures (ProtocolStatus.extra), or null when none (ProBFT: q, sampleSize, faults,
   *  lastPrepareVotes, lastCommitVotes, refusedVotes; T-PBFT: epoch, epochConfig, group, acting, threshold,
   *  rankingTop, rankingBottom, convicted, innerFailovers, outerViewChanges, viewChanging). */
  protocolExtra?: Readonly<Record<string, number | string | readonly string[]>> | null
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
  /** The view-change / leader timeout in force and who set it (src/node/adaptive-timeout.ts); null without consensus. */
  consensusTimeout?: { timeoutMs: number, setBy: 'genesis' | 'model' | 'baseline', floorMs: number, maxMs: number, genesisMs: number, predictedP99Ms: number | null, baseline: string, intervals: number } | null
  /** This process's memory (MiB): what `bench --json` reports per node. */
  memory?: { rssMiB: number, heapUsedMiB: number, heapTotalMiB: number }
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

/** One validator in `GET /v1/trust` (`novacron trust show --json`). */
export interface TrustNodeJson {
  rank: number
  id: string
  /** Quantised EigenTrust score as a fraction (trustQ32 / 2^32); the scores of an epoch sum to about 1. */
  trust: number
  trustQ32: number
  eligible: boolean
  convicted: boolean
  /** The windows (primary groups of views 0, 1, ...) this validator belongs to. */
  windows: number[]
  /** Evidence received over the epochs the configuration read. */
  evidence: { agreements: number, coSigned: number, innerComplaints: number, viewChangeBlames: number, convictedAt: number | null }
}

/** `GET /v1/trust?epoch=E`: one T-PBFT epoch configuration (404 on a cluster running another protocol). */
export interface TrustEpochJson {
  protocol: string
  epoch: number
  /** Epochs this node holds configurations of. */
  epochs: number[]
  hash: string
  checkpointRoot: string
  previousHash: string
  groupSize: number
  eligible: number
  /** Evidence epochs the configuration read (null in epoch 0: pre-trust only). */
  evidenceEpochs: { from: number, to: number } | null
  groups: string[][]
  fallback: string[]
  ranking: TrustNodeJson[]
}
