// The three-phase engine's messages (Castro and Liskov's PBFT, with signatures rather than MACs) and the
// records it persists. The protocol tag is the variant's ('pbft', ...): it names the codec and is part of
// every signature's domain, so one variant's messages never pass as another's.
import type { Hash } from '../../crypto/hash.ts'
import type { Batch, Tx } from '../core/batch.ts'
import type { Signed } from '../core/message.ts'

interface Base<T extends string> { readonly protocol: string, readonly type: T }

/** Transactions relayed so every replica knows them and can time out a primary that ignores them. */
export interface Request extends Base<'request'> { readonly txs: readonly Tx[] }
/** The primary signs (view, seq, digest) only, as Castro and Liskov do: the batch rides along when the
 *  pre-prepare proposes, and is left out where the pre-prepare only proves what was proposed (prepared
 *  certificates, new-view), so those stay small however large the batches are. */
export interface PrePrepare extends Base<'pre-prepare'> {
  readonly view: number
  readonly seq: number
  readonly digest: Hash
  readonly batch?: Batch
  /** The batch named by its transactions' ids instead (a compact proposal, ThreePhaseVariant.proposesByIds):
   *  every replica was relayed them; one that lacks any fetches the batch. Outside the signature, like the
   *  batch; the codec checks that they hash to the digest. */
  readonly txIds?: readonly Hash[]
  /** A variant's certificate for the proposal, outside the signature (T-PBFT: its group's co-signatures);
   *  carried only by codecs built with certificates, absent in PBFT. */
  readonly cert?: Uint8Array
}
/** A pre-prepare that carries its batch (every one that proposes, is accepted or is persisted as accepted). */
export type FullPrePrepare = PrePrepare & { readonly batch: Batch }
/** `proof`: evidence a variant's votes carry (e.g. of sample membership); absent in PBFT. */
export interface Prepare extends Base<'prepare'> { readonly view: number, readonly seq: number, readonly digest: Hash, readonly proof?: Uint8Array }
export interface Commit extends Base<'commit'> { readonly view: number, readonly seq: number, readonly digest: Hash, readonly proof?: Uint8Array }
/** `extra`: a hash of the variant's own replicated data at seq (T-PBFT: its trust ledger), signed with the
 *  state root so one checkpoint certificate certifies both; carried only by codecs built with checkpoint
 *  extras, absent in PBFT. */
export interface CheckpointMsg extends Base<'checkpoint'> { readonly seq: number, readonly stateRoot: Hash, readonly extra?: Hash }

/** A pre-prepare (without its batch) and quorum - 1 matching prepares from backups: the batch may have committed. */
export interface PreparedCert {
  readonly prePrepare: Signed<PrePrepare>
  readonly prepares: readonly Signed<Prepare>[]
}

export interface ViewChange extends Base<'view-change'> {
  readonly view: number
  readonly stableSeq: number
  readonly stableRoot: Hash
  readonly checkpointProof: readonly Signed<CheckpointMsg>[]
  readonly prepared: readonly PreparedCert[]
}

export interface NewView extends Base<'new-view'> {
  readonly view: number
  readonly viewChanges: readonly Signed<ViewChange>[]
  readonly prePrepares: readonly Signed<PrePrepare>[]
}

/** Retransmitted while a replica waits; peers answer with what it is missing (checkpoints, new-view, commits). */
export interface Status extends Base<'status'> {
  readonly view: number
  readonly viewChanging: boolean
  readonly stableSeq: number
  readonly lastCommitted: number
}

/** Asks a peer that prepared them for the batches of these digests (a replica that installed a new view
 *  and lacks them). */
export interface BatchRequest extends Base<'batch-request'> { readonly digests: readonly Hash[] }
/** One batch, answering a batch-request; the receiver checks its digest against what it waits for. */
export interface BatchReply extends Base<'batch'> { readonly txs: readonly Tx[] }

/** A decided batch with the commits that decided it at `from` (each addressed to it): what a variant with
 *  catch-up (ThreePhaseVariant.catchUp) hands a replica that reports, in its status, that it is behind.
 *  The receiver checks the commits with the variant's rule for the sender as their holder. */
export interface Decided extends Base<'decided'> {
  readonly view: number
  readonly seq: number
  readonly digest: Hash
  readonly txs: readonly Tx[]
  readonly commits: readonly Signed<Commit>[]
}

export type ThreePhaseWireMessage = Request | PrePrepare | Prepare | Commit | CheckpointMsg | ViewChange | NewView | Status | BatchRequest | BatchReply | Decided

// Persisted records: enough to rebuild everything this replica signed, so after a restart it repeats
// itself instead of contradicting itself.
export interface RecView extends Base<'rec-view'> { readonly view: number, readonly viewChanging: boolean }
/** A pre-prepare this replica accepted (and so prepared for) or, as primary, sent. */
export interface RecAccept extends Base<'rec-accept'> { readonly prePrepare: Signed<FullPrePrepare> }
/** A prepared certificate: this replica sent a commit for it. */
export interface RecPrepared extends Base<'rec-prepared'> { readonly cert: PreparedCert }
export interface RecStable extends Base<'rec-stable'> {
  readonly seq: number
  readonly stateRoot: Hash
  readonly proof: readonly Signed<CheckpointMsg>[]
  readonly view: number
  readonly viewChanging: boolean
}
export interface RecNewView extends Base<'rec-new-view'> { readonly newView: Signed<NewView> }

export type ThreePhaseRecord = RecView | RecAccept | RecPrepared | RecStable | RecNewView

export type ThreePhaseMessage = ThreePhaseWireMessage | ThreePhaseRecord
