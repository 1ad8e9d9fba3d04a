// Byzantine behaviours aimed at a co-signing primary group (T-PBFT): members that withhold or equivocate
// their co-signatures, an acting proposer that asks its group to sign two different batches, a new-view
// whose re-proposals contradict its view-changes, and a whole group that never lets a proposal certify.
import { sha256 } from '../../crypto/hash.ts'
import { EMPTY_BATCH, makeBatch } from '../core/batch.ts'
import type { Message, MessageSigner, Signed } from '../core/message.ts'
import type { Effect } from '../core/protocol.ts'
import type { FullPrePrepare, NewView, PrePrepare } from '../three-phase/messages.ts'
import type { Adversary, AdversaryContext } from './adversary.ts'
import type { AdversaryKind } from './scenario.ts'

type Fx = Effect<Message>[]

interface ShareLike extends Message { readonly view: number, readonly seq: number, readonly digest: Uint8Array, readonly acting: number }

const own = (ctx: AdversaryContext, e: Effect<Message>): Signed<Message> | undefined =>
  (e.kind === 'send' || e.kind === 'broadcast') && e.msg.from === ctx.self ? e.msg : undefined

/** A request for co-signatures: this node's own pre-prepare without a certificate, sent to its group. */
const isShareRequest = (ctx: AdversaryContext, e: Effect<Message>): e is Extract<Effect<Message>, { kind: 'send' }> => {
  const s = own(ctx, e)
  return e.kind === 'send' && s !== undefined && s.msg.type === 'pre-prepare' && (s.msg as PrePrepare).cert === undefined
}

/** The same transactions in another order (or the empty batch): a second digest for one slot. */
function otherProposal (pp: FullPrePrepare): FullPrePrepare {
  const txs = pp.batch.txs
  const batch = txs.length <= 1 ? (txs.length === 0 ? makeBatch([new TextEncoder().encode(`other/${pp.seq}`)]) : EMPTY_BATCH) : makeBatch([...txs].reverse())
  return { ...pp, digest: batch.id, batch }
}

const withholdShares = (ctx: AdversaryContext) => (fx: Fx): Fx => fx.filter((e) => own(ctx, e)?.msg.type !== 'group-share')

/** Its own proposal to one member, another batch for the same slot to the rest: neither reaches t. */
const equivocateActing = (ctx: AdversaryContext, signer: MessageSigner<Message>) => (fx: Fx): Fx => fx.flatMap((e): Fx => {
  if (!isShareRequest(ctx, e) || e.to.length < 2) return [e]
  const pp = e.msg.msg as FullPrePrepare
  if (pp.batch === undefined) return [e]
  const to = ctx.rng.shuffle(e.to)
  return [{ kind: 'send', to: to.slice(0, 1), msg: e.msg }, { kind: 'send', to: to.slice(1), msg: signer.sign(otherProposal(pp)) }]
})

export function groupAdversary (kind: AdversaryKind, ctx: AdversaryContext): Adversary | undefined {
  const signer = ctx.signer
  switch (kind) {
    case 'withhold-shares':
      return { kind, effects: withholdShares(ctx) }
    case 'equivocate-shares':
      // Every co-signature goes out twice, for two digests: the collector holds a proof against it.
      return {
        kind,
        effects: (fx) => fx.flatMap((e): Fx => {
          const s = own(ctx, e)
          if (s === undefined || s.msg.type !== 'group-share' || e.kind !== 'send') return [e]
          const m = s.msg as ShareLike
          const other = signer.sign({ ...m, digest: sha256(m.digest) } as Message)
          return [{ kind: 'send', to: e.to, msg: other }, e]
        })
      }
    case 'equivocate-acting':
      return { kind, effects: equivocateActing(ctx, signer) }
    case 'conflicting-new-view': {
      // A faulty group (as below) forces a view change; the faulty new primary then sends half the replicas
      // its new-view and the other half one whose re-proposals were swapped for others.
      const withhold = withholdShares(ctx)
      const equivocate = equivocateActing(ctx, signer)
      return {
        kind,
        effects: (fx) => equivocate(withhold(fx)).flatMap((e): Fx => {
          const s = own(ctx, e)
          if (s === undefined || s.msg.type !== 'new-view' || e.kind !== 'broadcast') return [e]
          const nv = s.msg as NewView
          const forged: NewView = { ...nv, prePrepares: nv.prePrepares.map((pp) => signer.sign({ ...pp.msg, digest: sha256(pp.msg.digest) } as Message) as Signed<PrePrepare>).concat(nv.prePrepares.length === 0 ? [signer.sign({ protocol: nv.protocol, type: 'pre-prepare', view: nv.view, seq: 1, digest: EMPTY_BATCH.id } as Message) as Signed<PrePrepare>] : []) }
          const others = ctx.rng.shuffle(ctx.others)
          const mid = Math.ceil(others.length / 2)
          return [{ kind: 'send', to: others.slice(0, mid), msg: s }, { kind: 'send', to: others.slice(mid), msg: signer.sign(forged as Message) }]
        })
      }
    }
    case 'byzantine-group': {
      // Every member of the group: no co-signatures, and two batches per slot when acting.
      const withhold = withholdShares(ctx)
      const equivocate = equivocateActing(ctx, signer)
      return { kind, effects: (fx) => equivocate(withhold(fx)) }
    }
    default: return undefined
  }
}
