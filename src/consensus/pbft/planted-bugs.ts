// PBFT with deliberate bugs, each visible to exactly one simulator checker: variants of the engine reached
// only through the module's plantedBugs (the checker tests), never by a node.
import type { Tx } from '../core/batch.ts'
import type { Checker } from '../core/module.ts'
import type { PbftVariantChanges } from './variant.ts'

// Advances on every proposal in the process, so a second run of the same seed orders differently.
let draws = 0

export const PBFT_PLANTED_BUGS: ReadonlyArray<{ readonly name: string, readonly checker: Checker, readonly adversary: string, readonly changes: PbftVariantChanges }> = [
  // Commits (and prepares) with f + 1 votes instead of a quorum: two sides of an equivocation both commit.
  { name: 'commits with f + 1 votes', checker: 'agreement', adversary: 'equivocate', changes: { quorum: (q) => q.weak } },
  // The primary slips a transaction nobody submitted into every batch.
  { name: 'invents transactions', checker: 'validity', adversary: 'none', changes: { propose: (txs: Tx[], seq, self) => [...txs, new TextEncoder().encode(`invented/${self}/${seq}`)] } },
  // Never leaves a view, whatever the primary does.
  { name: 'never changes view', checker: 'liveness', adversary: 'silent', changes: { changesViewOnTimeout: false } },
  // Orders each batch by a draw outside its inputs: every replica agrees on it, but no two runs are alike.
  {
    name: 'orders by a draw outside its inputs',
    checker: 'determinism',
    adversary: 'none',
    changes: { propose: (txs: Tx[]) => { const k = draws++ % Math.max(1, txs.length); return [...txs.slice(k), ...txs.slice(0, k)] } }
  }
]
