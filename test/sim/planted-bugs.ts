// Test builds of PBFT with deliberate bugs, each visible to exactly one checker. They live in the tests,
// never in the shipped protocol: the shipped Pbft only exposes the protected hooks they override.
import { Pbft } from '../../src/consensus/pbft/pbft.ts'
import type { Tx } from '../../src/consensus/core/batch.ts'
import type { PbftFactory } from '../../src/consensus/sim/simulation.ts'

/** Commits (and prepares) with f + 1 votes instead of a quorum: two sides of an equivocation both commit. */
class WeakQuorum extends Pbft {
  protected override quorum (): number { return this.quorums.weak }
}

/** The primary slips a transaction nobody submitted into every batch. */
class InventsTransactions extends Pbft {
  protected override proposalTxs (txs: Tx[], seq: number): Tx[] {
    return [...txs, new TextEncoder().encode(`invented/${this.self}/${seq}`)]
  }
}

/** Never leaves a view, whatever the primary does. */
class NeverChangesView extends Pbft {
  protected override onViewTimeout (): void {}
}

/** Orders each batch by a random draw: every replica agrees on it, but no two runs are alike. */
class RandomOrder extends Pbft {
  protected override proposalTxs (txs: Tx[]): Tx[] {
    return [...txs].sort(() => Math.random() - 0.5)
  }
}

export const PLANTED_BUGS = {
  agreement: { adversary: 'equivocate', build: ((o) => new WeakQuorum(o)) as PbftFactory },
  validity: { adversary: 'none', build: ((o) => new InventsTransactions(o)) as PbftFactory },
  liveness: { adversary: 'silent', build: ((o) => new NeverChangesView(o)) as PbftFactory },
  determinism: { adversary: 'none', build: ((o) => new RandomOrder(o)) as PbftFactory }
} as const
