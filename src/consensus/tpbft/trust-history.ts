// The epoch configurations a running T-PBFT replica entered, with the evidence counts each was computed
// from: the TrustSource behind `GET /v1/trust` and `novacron trust show [--epoch E]` (src/api/trust.ts).
// Recorded when the replica enters an epoch, so an answer is what the replica actually used, not a
// recomputation from a ledger that has been pruned since. Bounded: the oldest epochs are forgotten.
import type { EpochConfig } from './epoch.ts'
import { withEvidenceCounts } from './epoch.ts'
import type { EvidenceCounts, TrustLedger } from './evidence.ts'

/** Epochs one replica remembers for the admin API (a configuration of n = 31 is a few KB). */
export const TRUST_HISTORY_EPOCHS = 64

export type TrustEpochView = EpochConfig & { readonly counts: readonly EvidenceCounts[] }

export class TrustHistory {
  readonly #views = new Map<number, TrustEpochView>()

  /** The configuration of an epoch just entered and the ledger it was computed from. */
  record (config: EpochConfig, ledger: TrustLedger): void {
    this.#views.set(config.epoch, withEvidenceCounts(config, ledger))
    const epochs = this.epochs()
    for (const e of epochs.slice(0, Math.max(0, epochs.length - TRUST_HISTORY_EPOCHS))) this.#views.delete(e)
  }

  epochs (): readonly number[] { return [...this.#views.keys()].sort((a, b) => a - b) }

  epoch (epoch: number): TrustEpochView | undefined { return this.#views.get(epoch) }
}
