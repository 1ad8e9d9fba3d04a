// The simulator's replicated state machine: a hash chain over applied transaction ids, with snapshots at
// checkpoints for state transfer. Like the real one, it skips a transaction id it has already applied.
import { sha256 } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { txId, txKey } from '../core/batch.ts'
import type { Batch } from '../core/batch.ts'
import type { Checkpoint } from '../core/protocol.ts'

export const GENESIS_ROOT: Hash = sha256(new TextEncoder().encode('novacron/sim/genesis'))

interface Snapshot { readonly root: Hash, readonly applied: ReadonlySet<string> }

/** How many checkpoint snapshots each node keeps to serve peers. */
const SNAPSHOTS_KEPT = 4

export class SimStateMachine {
  height = 0
  root: Hash = GENESIS_ROOT
  #applied = new Set<string>()
  readonly #snapshots = new Map<number, Snapshot>()
  readonly #snapshotEvery: number
  /** Transactions in the order this node applied them (the validity checker reads it). */
  readonly log: string[] = []
  /** Snapshots installed by state transfer. */
  installs = 0
  /** Commits made since the last sync, oldest first, with what each replaced: what a crash may drop when
   *  the state is written without its own fsync (SimOptions.stateSync 'normal'). */
  readonly #unsynced: Array<{ readonly height: number, readonly root: Hash, readonly keys: string[], readonly logLength: number }> = []
  /** Commits dropped by crashes, counted. */
  droppedCommits = 0

  constructor (snapshotEvery: number) { this.#snapshotEvery = snapshotEvery }

  execute (seq: number, batch: Batch): Hash {
    if (seq !== this.height + 1) throw new Error(`state machine at ${this.height} asked to execute ${seq}`)
    const seqBytes = new Uint8Array(8)
    new DataView(seqBytes.buffer).setUint32(4, seq)
    const parts: Uint8Array[] = [this.root, seqBytes]
    const undo = { height: this.height, root: this.root, keys: [] as string[], logLength: this.log.length }
    for (const tx of batch.txs) {
      const key = txKey(tx)
      if (this.#applied.has(key)) continue
      this.#applied.add(key)
      this.log.push(key)
      undo.keys.push(key)
      parts.push(txId(tx))
    }
    this.#unsynced.push(undo)
    this.root = sha256(...parts)
    this.height = seq
    if (seq % this.#snapshotEvery === 0) {
      this.#snapshots.set(seq, { root: this.root, applied: new Set(this.#applied) })
      for (const k of this.#snapshots.keys()) if (k <= seq - SNAPSHOTS_KEPT * this.#snapshotEvery) this.#snapshots.delete(k)
    }
    return this.root
  }

  checkpoint (): Checkpoint { return { seq: this.height, stateRoot: this.root } }

  /** Everything applied so far is durable (the node's WAL fsync, which in one SQLite file covers the state). */
  synced (): void { this.#unsynced.length = 0 }

  /** A power loss: the commits since the last sync vanish, newest first, with their snapshots. */
  dropUnsynced (): void {
    for (let u = this.#unsynced.pop(); u !== undefined; u = this.#unsynced.pop()) {
      this.#snapshots.delete(this.height)
      for (const k of u.keys) this.#applied.delete(k)
      this.log.length = u.logLength
      this.height = u.height
      this.root = u.root
      this.droppedCommits++
    }
  }

  /** A kept checkpoint snapshot, or the current state when it stands exactly at `seq` (as the node serves). */
  snapshot (seq: number): Snapshot | undefined {
    return this.#snapshots.get(seq) ?? (seq === this.height ? { root: this.root, applied: new Set(this.#applied) } : undefined)
  }

  install (seq: number, snap: Snapshot): void {
    this.height = seq
    this.root = snap.root
    this.#applied = new Set(snap.applied)
    this.#snapshots.set(seq, snap)
    this.installs++
    // an installed snapshot is written with its own fsync: nothing before it can be dropped any more
    this.#unsynced.length = 0
  }

  hasApplied (key: string): boolean { return this.#applied.has(key) }
}
