// What the driver needs from its host. The node implements these over libp2p, SQLite and the state
// machine; the simulator over its virtual network, clock and in-memory stores. Methods may answer
// synchronously (the simulator) or with a promise (the node); the driver keeps effect order either way.
import type { Hash } from '../../crypto/hash.ts'
import type { Batch } from '../core/batch.ts'
import type { Message, Signed } from '../core/message.ts'
import type { Checkpoint, LogEvent } from '../core/protocol.ts'
import type { ValidatorId } from '../core/validators.ts'

export type MaybePromise<T> = T | Promise<T>

/** Best-effort delivery of encoded consensus messages; the same bytes go to every target. */
export interface Transport {
  send (to: readonly ValidatorId[], bytes: Uint8Array): void
}

export type TimerHandle = unknown

export interface Clock {
  now (): number
  setTimer (ms: number, fire: () => void): TimerHandle
  clearTimer (handle: TimerHandle): void
}

/** One persisted record: `seq` as in PersistedRecord, `bytes` its versioned encoding (core/record.ts).
 *  `body`: the batch the record names by digest, which the WAL stores once in its body store, in the same
 *  durable append, and hands back by digest on restart (Driver.start's `bodies`). */
export interface WalEntry {
  readonly seq: number
  readonly bytes: Uint8Array
  readonly body?: Batch
}

/** The consensus write-ahead log. append must be durable when it returns or resolves; a body stays
 *  stored while any record that names it does. */
export interface Wal {
  /** `pruneBelow`: entries with 0 < seq < pruneBelow may be dropped, after the new ones are durable. */
  append (entries: readonly WalEntry[], pruneBelow: number | undefined): MaybePromise<void>
}

export interface Executor {
  /** Applies the committed batch at `seq` (seqs arrive consecutively) and returns the new state root. The
   *  state machine must skip a transaction id it already applied: consensus orders, it does not dedup
   *  across batches a faulty primary proposed. */
  execute (seq: number, batch: Batch, certificate: readonly Signed<Message>[]): MaybePromise<Hash>
}

/** Installs a snapshot at a checkpoint certified by a quorum, fetched from one of `from`. */
export interface StateSync {
  /** Calls `done(true)` once a snapshot whose root equals checkpoint.stateRoot is installed, `done(false)`
   *  if none of `from` could provide one (the protocol asks again later). A callback rather than a promise
   *  so the simulator can answer in virtual time. */
  fetch (from: readonly ValidatorId[], checkpoint: Checkpoint, done: (installed: boolean) => void): void
}

export type DropReason = 'oversized' | 'unknown-sender' | 'malformed' | 'unknown-signer' | 'bad-signature' | 'wrong-protocol'

export interface DriverMetrics {
  dropped (reason: DropReason, from: ValidatorId): void
  viewChange (view: number): void
  committed (seq: number, batchSize: number): void
  event (event: LogEvent): void
}

export const noMetrics: DriverMetrics = { dropped () {}, viewChange () {}, committed () {}, event () {} }
