// Narwhal and Bullshark messages and the records a node persists. A certificate is a header plus a quorum
// of votes; its digest is the header's, which a quorum of once-per-(author, round) votes makes unique.
import type { Hash } from '../../crypto/hash.ts'
import type { Tx } from '../core/batch.ts'
import type { Signed } from '../core/message.ts'
import type { ValidatorId } from '../core/validators.ts'

export const BULLSHARK = 'bullshark'

interface Base<T extends string> { readonly protocol: typeof BULLSHARK, readonly type: T }

/** A worker batch; anyone may relay it because it is named by its content hash. */
export interface BatchMsg extends Base<'batch'> { readonly txs: readonly Tx[] }

export interface Header extends Base<'header'> {
  readonly author: ValidatorId
  readonly round: number
  /** Digests of at least a quorum of certificates of round - 1 (none in round 1). */
  readonly parents: readonly Hash[]
  /** Digests of the author's batches this header makes available. */
  readonly batches: readonly Hash[]
}

export interface Vote extends Base<'vote'> { readonly author: ValidatorId, readonly round: number, readonly digest: Hash }

export interface Certificate extends Base<'certificate'> { readonly header: Signed<Header>, readonly votes: readonly Signed<Vote>[] }

/** Asks a peer for certificates and batches it holds. */
export interface Fetch extends Base<'fetch'> { readonly certs: readonly Hash[], readonly batches: readonly Hash[] }

/** Where the committed sequence stood after `seq`: what a node that installs this snapshot resumes from. */
export interface Frontier {
  readonly seq: number
  readonly anchorRound: number
  /** Per validator (canonical order), the highest round of its certificates already ordered. */
  readonly lastOrdered: readonly number[]
}

export interface CheckpointMsg extends Base<'checkpoint'>, Frontier { readonly stateRoot: Hash }

/** Retransmitted by a node that made no progress: peers answer with their latest certificates. */
export interface Status extends Base<'status'> { readonly round: number, readonly anchorRound: number }

export type BullsharkWireMessage = BatchMsg | Header | Vote | Certificate | Fetch | CheckpointMsg | Status

// Persisted: own headers and votes (never equivocate after a restart), the certified DAG and its payload
// (re-derive commits the state machine did not execute yet), and the frontier after each anchor.
export interface RecHeader extends Base<'rec-header'> { readonly header: Signed<Header> }
export interface RecVote extends Base<'rec-vote'> { readonly author: ValidatorId, readonly round: number, readonly digest: Hash }
export interface RecFrontier extends Base<'rec-frontier'>, Frontier {}
/** A persisted batch as its WAL row holds it: the digest, the transactions in the body store (the codec's
 *  detachBody); decoding it in a WAL record gives the 'batch' back, so restore sees batches only. */
export interface RecBatchRef extends Base<'rec-batch'> { readonly digest: Hash }

export type BullsharkRecord = RecHeader | RecVote | RecFrontier | Certificate | BatchMsg

export type BullsharkMessage = BullsharkWireMessage | RecHeader | RecVote | RecFrontier | RecBatchRef
