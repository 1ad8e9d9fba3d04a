// T-PBFT's own messages, next to the three-phase engine's (same 'tpbft' tag and signing domain): a group
// member's co-signature on a proposal, a member's vote to move to the next acting proposer, and the
// records that keep a restarted member from signing a second digest for one slot.
import type { Hash } from '../../crypto/hash.ts'
import type { ThreePhaseMessage } from '../three-phase/messages.ts'

export const TPBFT = 'tpbft'

interface Base<T extends string> { readonly protocol: string, readonly type: T }

/** Member's co-signature on (view, seq, digest); `acting`: the acting proposer's index in the group as
 *  the member saw it (a certificate of shares all at >= k proves an inner failover to k). */
export interface GroupShare extends Base<'group-share'> { readonly view: number, readonly seq: number, readonly digest: Hash, readonly acting: number }
/** A member's vote that the group's proposer index in `view` move to `acting`. Views run across epochs and
 *  the acting index starts over in each, so the vote names its `epoch`: one signed in another epoch is not a
 *  vote here, nor a complaint (E2) any batch of this epoch may carry. */
export interface InnerChange extends Base<'inner-change'> { readonly epoch: number, readonly view: number, readonly acting: number }
/** Persisted before a share leaves: this member co-signed `digest` for (view, seq). */
export interface RecShare extends Base<'rec-share'> { readonly view: number, readonly seq: number, readonly digest: Hash, readonly acting: number }
/** Persisted when the acting proposer index of `view` moved to `acting`. */
export interface RecInner extends Base<'rec-inner'> { readonly view: number, readonly acting: number }

/** Persisted when a committed batch at `seq` carried trust evidence that passed (carry.ts): replayed on restart. */
export interface RecEvidence extends Base<'rec-evidence'> { readonly seq: number, readonly evidence: Uint8Array }
/** Persisted at each stable checkpoint `seq`: the encoded trust ledger (evidence.ts) as of the commit of
 *  `seq`, the one the checkpoint certificate certified (ledger-sync.ts). */
export interface RecLedger extends Base<'rec-ledger'> { readonly seq: number, readonly ledger: Uint8Array }
/** Persisted when this replica learns the state root of checkpoint `seq`, an epoch's first (epoch = seq / E):
 *  that epoch's tie-break seed (ledger-sync.ts), which a restart must not forget. */
export interface RecSeed extends Base<'rec-seed'> { readonly seq: number, readonly root: Hash }

/** Asks a peer for the trust ledger as of stable checkpoint `seq` (a replica that reached it by state
 *  transfer, or whose own ledger differs from the certified one: ledger-sync.ts). */
export interface LedgerRequest extends Base<'ledger-request'> { readonly seq: number }
/** The encoded trust ledger as of checkpoint `seq`; the receiver checks it against the ledger hash its
 *  checkpoint certificate certified before it uses it. */
export interface LedgerReply extends Base<'ledger'> { readonly seq: number, readonly ledger: Uint8Array }

export type TpbftOwnMessage = GroupShare | InnerChange | RecShare | RecInner | RecEvidence | RecLedger | RecSeed | LedgerRequest | LedgerReply
export type TpbftMessage = ThreePhaseMessage | TpbftOwnMessage

const OWN: ReadonlySet<string> = new Set(['group-share', 'inner-change', 'rec-share', 'rec-inner', 'rec-evidence', 'rec-ledger', 'rec-seed', 'ledger-request', 'ledger'])
export const isOwn = (m: { readonly type: string }): m is TpbftOwnMessage => OWN.has(m.type)
