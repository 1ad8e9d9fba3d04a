// The consensus contract of ARCHITECTURE.md: a protocol is a pure object that answers inputs with effects.
// It never performs I/O, reads a clock or draws randomness it did not get from its inputs, so the same
// code runs in the simulator, in benchmarks and behind the node's driver.
import type { Hash } from '../../crypto/hash.ts'
import type { Batch } from './batch.ts'
import type { Message, MessageCodec, Signed } from './message.ts'
import type { ValidatorId } from './validators.ts'

/** Names a timer within one protocol instance; setting an id that is already set replaces it. */
export type TimerId = string

/** A state the whole cluster certified: sequence number and the state root after executing it. */
export interface Checkpoint {
  readonly seq: number
  readonly stateRoot: Hash
}

/**
 * Something the node must remember across a crash (what it prepared, committed, signed). `seq` scopes the
 * record to a log position (0: not tied to one) so storage can prune below a stable checkpoint.
 */
export interface PersistedRecord<M extends Message = Message> {
  readonly seq: number
  readonly msg: M
}

/** Structured event for logs and metrics. Well-known types are counted by the driver. */
export interface LogEvent {
  readonly type: string
  readonly [field: string]: unknown
}

export type Effect<M extends Message = Message> =
  /** To a list of validators: one peer, a VRF-chosen sample, or a subset. */
  | { readonly kind: 'send', readonly to: readonly ValidatorId[], readonly msg: Signed<M> }
  /** To every validator but this one. */
  | { readonly kind: 'broadcast', readonly msg: Signed<M> }
  | { readonly kind: 'setTimer', readonly id: TimerId, readonly ms: number }
  | { readonly kind: 'cancelTimer', readonly id: TimerId }
  /** Execute `batch` at `seq` (consecutive, in order); `certificate` proves the cluster decided it. */
  | { readonly kind: 'commit', readonly seq: number, readonly batch: Batch, readonly certificate: readonly Signed<M>[] }
  /** Must be durable before any later send/broadcast/commit of this node leaves; `pruneBelow` allows
   *  storage to drop records whose seq is positive and below it. */
  | { readonly kind: 'persist', readonly record: PersistedRecord<M>, readonly pruneBelow?: number }
  /** This node is behind a stable checkpoint: install a snapshot for it from one of `from`, then call
   *  onExecuted(checkpoint.seq, checkpoint.stateRoot). */
  | { readonly kind: 'fetchState', readonly from: readonly ValidatorId[], readonly checkpoint: Checkpoint }
  | { readonly kind: 'log', readonly event: LogEvent }

/** Protocol-specific status figures: counts, names or hashes, and lists of validator ids. */
export type ProtocolExtra = Readonly<Record<string, number | string | readonly string[]>>

/** Snapshot of where a protocol instance stands, for `status --json` and metrics. */
export interface ProtocolStatus {
  readonly protocol: string
  readonly view: number
  readonly primary: ValidatorId | null
  readonly viewChanging: boolean
  readonly lastCommitted: number
  readonly lastExecuted: number
  readonly stableCheckpoint: number
  readonly pending: number
  /** DAG protocols: the round of this node's latest header. */
  readonly round?: number
  /** DAG protocols: certificates held above the garbage-collection round. */
  readonly dagSize?: number
  /** DAG protocols: the round of the last committed anchor. */
  readonly lastAnchor?: number
  /** Messages held for a later view (PBFT family), and their encoded bytes: bounded however many arrive. */
  readonly bufferedMessages?: number
  readonly bufferedBytes?: number
  /** What a stranger can make this replica hold and redo, for the simulator's bounded-resources checker. */
  readonly resources?: ProtocolResources
  /** Protocol-specific figures, shown as they are (ProBFT: quorum and sample sizes, vote counts; T-PBFT:
   *  epoch, group, trust ranking, inner failovers). */
  readonly extra?: ProtocolExtra
}

export interface ProtocolResources {
  /** Messages held for later (parked, buffered for a future view): bounded whatever peers send. */
  readonly held: number
  /** Held messages examined again that still could not be used, counted since start: an index keeps it
   *  near zero, a rescan on every event makes it grow with held x events. */
  readonly wastedScans: number
}

export interface Protocol<M extends Message = Message> {
  readonly codec: MessageCodec<M>
  /** Replays what this node persisted before a restart; called once, before start. */
  restore (records: readonly PersistedRecord<M>[]): void
  /** Arms the initial timers; `executed` is where this node's state machine stands (0 when fresh). */
  start (executed: Checkpoint, now: number): Effect<M>[]
  /** `msg` has a valid signature by `msg.from`, which the transport authenticated as `from`. */
  onMessage (from: ValidatorId, msg: Signed<M>, now: number): Effect<M>[]
  onTimer (timer: TimerId, now: number): Effect<M>[]
  /** New transactions submitted to this node. */
  onRequest (batch: Batch, now: number): Effect<M>[]
  /** The state machine executed `seq` (or installed a snapshot at it) and reached `stateRoot`. */
  onExecuted (seq: number, stateRoot: Hash, now: number): Effect<M>[]
  /** A fetchState for `checkpoint` ended without installing it (no peer had it, or the node was already
   *  there): the protocol may try again later (see core/fetch-schedule.ts). */
  onStateFetchFailed? (checkpoint: Checkpoint, now: number): Effect<M>[]
  status (): ProtocolStatus
}
