// Byzantine behaviours aimed at Narwhal and Bullshark: equivocating headers, withheld votes, headers over
// too few parents, and a node that crashes or stalls whenever it leads an anchor round.
import { decodeSigned } from '../core/message.ts'
import type { Message, MessageSigner, Signed } from '../core/message.ts'
import type { Effect } from '../core/protocol.ts'
import { bullsharkCodec } from '../bullshark/codec.ts'
import type { BullsharkMessage, Header } from '../bullshark/messages.ts'
import type { Adversary, AdversaryContext } from './adversary.ts'
import type { AdversaryKind } from './scenario.ts'

type Fx = Effect<BullsharkMessage>[]

const ownHeader = (ctx: AdversaryContext, e: Effect<BullsharkMessage>): Signed<Header> | undefined =>
  e.kind === 'broadcast' && e.msg.from === ctx.self && e.msg.msg.type === 'header' ? e.msg as Signed<Header> : undefined

const leads = (ctx: AdversaryContext, round: number): boolean =>
  round % 2 === 0 && ctx.validators.ids[(round / 2) % ctx.validators.n] === ctx.self

const rewrite = (f: (e: Effect<BullsharkMessage>) => Fx) => (fx: Effect<Message>[]): Effect<Message>[] =>
  (fx as Fx).flatMap(f) as Effect<Message>[]

/** Undefined for kinds without a Bullshark-specific form (the generic ones then apply). */
export function bullsharkAdversary (kind: AdversaryKind, ctx: AdversaryContext): Adversary | undefined {
  const signer = ctx.signer as MessageSigner<BullsharkMessage>
  switch (kind) {
    case 'equivocate':
      // Two headers for one round, each to half the peers: a quorum can certify at most one of them.
      return {
        kind,
        effects: rewrite((e) => {
          const h = ownHeader(ctx, e)
          if (h === undefined) return [e]
          const variant: Header = h.msg.batches.length > 0
            ? { ...h.msg, batches: [] }
            : { ...h.msg, parents: [...h.msg.parents].reverse() }
          if (variant.parents.length < 2 && h.msg.batches.length === 0) return [e]
          const shuffled = ctx.rng.shuffle(ctx.others)
          const mid = Math.ceil(shuffled.length / 2)
          return [{ kind: 'send', to: shuffled.slice(0, mid), msg: h }, { kind: 'send', to: shuffled.slice(mid), msg: signer.sign(variant) }]
        })
      }
    case 'withhold-votes':
      return { kind, effects: rewrite((e) => (e.kind === 'send' && e.msg.msg.type === 'vote' && e.msg.from === ctx.self ? [] : [e])) }
    case 'few-parents':
      // Headers over f parents: honest validators refuse to vote, so this node's payload never certifies.
      return {
        kind,
        effects: rewrite((e) => {
          const h = ownHeader(ctx, e)
          if (h === undefined || h.msg.round === 1) return [e]
          return [{ kind: 'broadcast', msg: signer.sign({ ...h.msg, parents: h.msg.parents.slice(0, ctx.validators.f) }) }]
        })
      }
    case 'crash-leader':
      // Crashes as it is about to propose each anchor it leads (and restarts later, still faulty).
      return {
        kind,
        effects: rewrite((e) => {
          const h = ownHeader(ctx, e)
          if (h === undefined || !leads(ctx, h.msg.round)) return [e]
          ctx.crash()
          return []
        })
      }
    case 'slow-leader':
      // What it sends about an anchor it leads arrives around the moment each peer stops waiting for it, a
      // little before at some and after at others, so the anchor's support splits.
      return {
        kind,
        outbound (to, bytes) {
          const d = decodeSigned(bullsharkCodec, bytes)
          const m = d.ok ? d.value.msg : undefined
          const anchor = m !== undefined && ((m.type === 'header' && leads(ctx, m.round)) || (m.type === 'certificate' && leads(ctx, m.header.msg.round)))
          if (!anchor) return [{ to, bytes, delayMs: 0 }]
          return to.map((id) => ({ to: [id], bytes, delayMs: ctx.rng.range(0.3, 1.1) * ctx.timeoutMs }))
        }
      }
    default: return undefined
  }
}
