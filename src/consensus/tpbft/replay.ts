// Applying committed evidence and closing epochs, as one pure fold over the committed log: what a T-PBFT
// replica does when it executes batches, and what the simulator (or an offline check) does to recompute
// every epoch's configuration from a node's committed history and compare it with what the nodes used
// (design note TPBFT.md §7 T1: "recompute the epoch-e ranking from the committed log").
//
// API (stable):
//   applyEvidence(ledger, ctx, items, epoch) => { applied, duplicates, refused }: verifies each item and
//     records the valid ones in `epoch`; a refused item is skipped (the batch stays valid, it only earns
//     nothing), so every replica skips the same ones.
//   EpochTrustTracker: the fold itself. new EpochTrustTracker({ validators, params, genesisRoot, context,
//     codec?, ledger?, from? }); .config (the current epoch's), .ledger; .applyBatch(seq, evidence) before
//     the batch's seq is closed; .closeEpoch(checkpointRoot) at the stable checkpoint e*E (returns Config(e+1)).
//     A tracker can start from a snapshot (ledger bytes + the config of its epoch), as a node that caught up
//     by state transfer does.
//   replayEpochConfigs({ ..., batches, checkpointRoot(seq) }) => { configs, ledger, refused }.
import type { Hash } from '../../crypto/hash.ts'
import type { Message, MessageCodec } from '../core/message.ts'
import type { ValidatorSet } from '../core/validators.ts'
import { epochConfig, epochOf, trustParams } from './epoch.ts'
import type { EpochConfig, TrustParams } from './epoch.ts'
import { TrustLedger, evidenceCodec, verifyEvidence } from './evidence.ts'
import type { Evidence, EvidenceContext } from './evidence.ts'

export interface EvidenceApplication {
  /** Items recorded. */
  readonly applied: number
  /** Valid items whose event was already recorded (counted once). */
  readonly duplicates: number
  /** Reasons for the items refused, in order. */
  readonly refused: readonly string[]
}

export function applyEvidence<M extends Message> (ledger: TrustLedger, ctx: EvidenceContext<M>, items: readonly Evidence<M>[], epoch: number): EvidenceApplication {
  let applied = 0
  let duplicates = 0
  const refused: string[] = []
  for (const item of items) {
    const r = verifyEvidence({ ...ctx, epoch }, item)
    if (!r.ok) refused.push(r.error)
    else if (ledger.apply(epoch, r.value)) applied++
    else duplicates++
  }
  return { applied, duplicates, refused }
}

export interface TrackerOptions<M extends Message> {
  readonly validators: ValidatorSet
  /** Genesis trust parameters (epochLength, groupSize, ...). */
  readonly params?: Partial<TrustParams>
  /** The genesis state root (seeds epoch 0's tie-break); ignored when starting from a snapshot. */
  readonly genesisRoot: Hash
  /** The verification context for a batch at `seq` under the configuration of its epoch. */
  readonly context: (seq: number, config: EpochConfig) => EvidenceContext<M>
  /** Needed only when applyBatch is given encoded metadata. */
  readonly codec?: MessageCodec<M>
  /** Start from a snapshot: its ledger and the configuration of the epoch it is in. */
  readonly from?: { readonly ledger: TrustLedger, readonly config: EpochConfig }
}

export class EpochTrustTracker<M extends Message> {
  readonly params: TrustParams
  readonly #validators: ValidatorSet
  readonly #context: TrackerOptions<M>['context']
  readonly #codec: ReturnType<typeof evidenceCodec<M>> | undefined
  #ledger: TrustLedger
  #config: EpochConfig
  #lastSeq: number

  constructor (opts: TrackerOptions<M>) {
    this.params = trustParams(opts.params)
    this.#validators = opts.validators
    this.#context = opts.context
    this.#codec = opts.codec === undefined ? undefined : evidenceCodec(opts.codec)
    this.#ledger = opts.from?.ledger ?? new TrustLedger()
    this.#config = opts.from?.config ?? epochConfig({ epoch: 0, validators: opts.validators, evidence: this.#ledger, checkpointRoot: opts.genesisRoot, groupSize: this.params.groupSize, params: this.params })
    this.#lastSeq = this.#config.epoch * this.params.epochLength
  }

  /** The configuration of the epoch batches are being applied in. */
  get config (): EpochConfig { return this.#config }
  get ledger (): TrustLedger { return this.#ledger }

  /** Applies the evidence a committed batch carries (decoded items or the metadata bytes). Batches come in
   *  seq order, inside the current epoch. */
  applyBatch (seq: number, evidence: readonly Evidence<M>[] | Uint8Array | undefined): EvidenceApplication {
    const epoch = epochOf(seq, this.params.epochLength)
    if (epoch !== this.#config.epoch) throw new RangeError(`seq ${seq} is in epoch ${epoch}, the tracker is in epoch ${this.#config.epoch}: close the epoch at its checkpoint first`)
    if (seq <= this.#lastSeq) throw new RangeError(`seq ${seq} applied after ${this.#lastSeq}: batches come in order, once`)
    this.#lastSeq = seq
    if (evidence === undefined) return { applied: 0, duplicates: 0, refused: [] }
    let items: readonly Evidence<M>[]
    if (evidence instanceof Uint8Array) {
      if (this.#codec === undefined) throw new Error('encoded evidence needs the protocol codec (TrackerOptions.codec)')
      const decoded = this.#codec.decode(evidence)
      if (!decoded.ok) return { applied: 0, duplicates: 0, refused: [decoded.error] }
      items = decoded.value
    } else {
      items = evidence
    }
    return applyEvidence(this.#ledger, this.#context(seq, this.#config), items, epoch)
  }

  /** At the stable checkpoint (e+1)*E closing the current epoch e: computes Config(e+1) from the ledger,
   *  prunes what no later window reads, and moves on. */
  closeEpoch (checkpointRoot: Hash): EpochConfig {
    const next = this.#config.epoch + 1
    this.#config = epochConfig({ epoch: next, validators: this.#validators, evidence: this.#ledger, checkpointRoot, groupSize: this.params.groupSize, previous: this.#config, params: this.params })
    this.#lastSeq = next * this.params.epochLength
    this.#ledger.prune(next + 1 - this.params.windowEpochs)
    return this.#config
  }
}

export interface ReplayInput<M extends Message> extends TrackerOptions<M> {
  /** A node's committed batches in seq order, consecutive from the tracker's start. */
  readonly batches: Iterable<{ readonly seq: number, readonly evidence?: readonly Evidence<M>[] | Uint8Array }>
  /** The state root at checkpoint `seq` (a multiple of epochLength); undefined stops the replay there
   *  (the checkpoint was never stable at this node). */
  readonly checkpointRoot: (seq: number) => Hash | undefined
}

/** Every configuration a committed history reaches: Config(start) and one per closed epoch. */
export function replayEpochConfigs<M extends Message> (input: ReplayInput<M>): { configs: EpochConfig[], ledger: TrustLedger, refused: Array<{ seq: number, reason: string }> } {
  const tracker = new EpochTrustTracker(input)
  const configs = [tracker.config]
  const refused: Array<{ seq: number, reason: string }> = []
  const E = tracker.params.epochLength
  for (const b of input.batches) {
    for (const reason of tracker.applyBatch(b.seq, b.evidence).refused) refused.push({ seq: b.seq, reason })
    if (b.seq % E === 0) {
      const root = input.checkpointRoot(b.seq)
      if (root === undefined) break
      configs.push(tracker.closeEpoch(root))
    }
  }
  return { configs, ledger: tracker.ledger, refused }
}
