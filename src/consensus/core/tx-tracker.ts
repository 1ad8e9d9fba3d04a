// What a protocol knows about transactions beyond the driver's admission pool: those still to propose
// (pending), those in a proposal that has not committed (in flight, with what the protocol notes about
// each), and those committed recently (so a late relay of one is not proposed again).
import { txKey } from './batch.ts'
import type { Tx } from './batch.ts'
import { Mempool } from './mempool.ts'
import { RecentSet } from './recent.ts'

/** How many committed transaction keys a tracker remembers. */
export const RECENTLY_COMMITTED = 1 << 16

export class TxTracker<F = Tx> {
  readonly pending = new Mempool()
  readonly inFlight = new Map<string, F>()
  readonly committed = new RecentSet(RECENTLY_COMMITTED)

  /** Pending and in flight together: what status() reports as pending. */
  get size (): number { return this.pending.size + this.inFlight.size }

  /** Adds a transaction to pending unless it is known already; true if it is new. */
  addPending (tx: Tx): boolean {
    const key = txKey(tx)
    if (this.committed.has(key) || this.inFlight.has(key) || this.pending.has(key)) return false
    return this.pending.add(tx).ok
  }

  /** A committed transaction: no longer pending or in flight, and remembered. */
  markCommitted (key: string): void {
    this.pending.delete(key)
    this.inFlight.delete(key)
    this.committed.add(key)
  }
}
