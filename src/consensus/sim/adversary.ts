// Byzantine behaviours. Each runs on top of the honest protocol of its node: some rewrite the effects the
// protocol answers with (they need to sign, which a faulty node can do with its own key), others tamper
// with the bytes on the way out. None can sign as another node.
import { sha256 } from '../../crypto/hash.ts'
import { EMPTY_BATCH, idsDigest, makeBatch } from '../core/batch.ts'
import type { Message, MessageSigner, Signed } from '../core/message.ts'
import type { AdversaryFamily } from '../core/module.ts'
import type { Effect, Protocol, ProtocolStatus } from '../core/protocol.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { PbftMessage, PrePrepare } from '../pbft/messages.ts'
import { bullsharkAdversary } from './bullshark-adversary.ts'
import { groupAdversary } from './group-adversary.ts'
import { probftAdversary } from './probft-adversary.ts'
import type { Prng } from './prng.ts'
import type { ResourceAdversaryKind } from './resource-adversary.ts'
import type { SimProtocolName } from './protocols.ts'
import type { AdversaryKind } from './scenario.ts'

type Fx = Effect<PbftMessage>[]

export interface AdversaryContext {
  readonly self: ValidatorId
  readonly others: readonly ValidatorId[]
  readonly protocol: SimProtocolName
  /** Which family of protocol-specific attacks applies (the module says). */
  readonly family: AdversaryFamily
  readonly validators: ValidatorSet
  readonly signer: MessageSigner<Message>
  /** The run's genesis hash (VRF inputs of sampling protocols). */
  readonly genesisHash: Uint8Array
  /** The protocol's timeout that a delaying adversary slips just past. */
  readonly timeoutMs: number
  /** The honest protocol's own view of where it stands. */
  status (): ProtocolStatus
  readonly rng: Prng
  now (): number
  /** Crash this node right now (it restarts later, honest, from its WAL). */
  crash (): void
}

export interface Outgoing { readonly to: readonly ValidatorId[], readonly bytes: Uint8Array, readonly delayMs: number }

export interface Adversary {
  readonly kind: AdversaryKind | ResourceAdversaryKind
  effects? (fx: Effect<Message>[]): Effect<Message>[]
  outbound? (to: readonly ValidatorId[], bytes: Uint8Array): Outgoing[]
  inbound? (bytes: Uint8Array): void
}

const halves = (ids: readonly ValidatorId[]): [ValidatorId[], ValidatorId[]] => {
  const mid = Math.ceil(ids.length / 2)
  return [ids.slice(0, mid), ids.slice(mid)]
}

/** A batch with the same transactions in another order, or undefined when there is no other order. */
function variantOf (pp: PrePrepare): PrePrepare | undefined {
  // A proposal named by ids: the rival names the same transactions reversed (or none), which every replica holds.
  if (pp.txIds !== undefined) {
    if (pp.txIds.length === 0) return undefined
    const ids = pp.txIds.length === 1 ? [] : [...pp.txIds].reverse()
    return { ...pp, digest: idsDigest(ids), txIds: ids }
  }
  const txs = pp.batch?.txs ?? []
  if (txs.length === 0) return undefined
  const batch = txs.length === 1 ? EMPTY_BATCH : makeBatch([...txs].reverse())
  return { ...pp, digest: batch.id, batch }
}

/** What a replaying node swallows: each protocol's proposal. */
const PROPOSALS: ReadonlySet<string> = new Set(['pre-prepare', 'header'])

export const isOwn = <M extends Message>(ctx: AdversaryContext, e: Effect<M>): e is Extract<Effect<M>, { kind: 'broadcast' }> =>
  e.kind === 'broadcast' && e.msg.from === ctx.self

/** The byzantine behaviour `kind` for one node: protocol-specific rewriting first, then the generic ones. */
export function makeAdversary (kind: AdversaryKind, ctx: AdversaryContext): Adversary | undefined {
  if (ctx.family === 'dag') {
    const specific = bullsharkAdversary(kind, ctx)
    if (specific !== undefined) return specific
  }
  if (ctx.family === 'group') {
    const specific = groupAdversary(kind, ctx)
    if (specific !== undefined) return specific
  }
  if (ctx.family === 'three-phase') {
    const specific = probftAdversary(kind, ctx)
    if (specific !== undefined) return specific
  }
  return threePhaseOrGeneric(kind, ctx)
}

function threePhaseOrGeneric (kind: AdversaryKind, ctx: AdversaryContext): Adversary | undefined {
  const signer = ctx.signer as MessageSigner<PbftMessage>
  switch (kind) {
    case 'none': return undefined
    case 'silent': return { kind, outbound: () => [] }
    case 'crash-mid-broadcast': {
      const armAt = ctx.rng.range(300, 4000)
      let done = false
      return {
        kind,
        outbound (to, bytes) {
          if (done || to.length < 2 || ctx.now() < armAt) return [{ to, bytes, delayMs: 0 }]
          done = true
          const reached = ctx.rng.shuffle(to).slice(0, 1 + ctx.rng.int(to.length - 1))
          ctx.crash()
          return [{ to: reached, bytes, delayMs: 0 }]
        }
      }
    }
    case 'equivocate':
      return {
        kind,
        effects: (fx) => (fx as Fx).flatMap((e): Fx => {
          if (!isOwn(ctx, e) || e.msg.msg.type !== 'pre-prepare') return [e]
          const variant = variantOf(e.msg.msg)
          if (variant === undefined) return [e]
          const [a, b] = halves(ctx.rng.shuffle(ctx.others))
          return [{ kind: 'send', to: a, msg: e.msg }, { kind: 'send', to: b, msg: signer.sign(variant) }]
        })
      }
    case 'double-vote':
      return {
        kind,
        effects: (fx) => (fx as Fx).flatMap((e): Fx => {
          if (!isOwn(ctx, e)) return [e]
          const m = e.msg.msg
          if (m.type === 'pre-prepare') {
            const variant = variantOf(m)
            return variant === undefined ? [e] : [e, { kind: 'broadcast', msg: signer.sign(variant) }]
          }
          if (m.type !== 'prepare' && m.type !== 'commit') return [e]
          const [a, b] = halves(ctx.rng.shuffle(ctx.others))
          const other = signer.sign({ ...m, digest: sha256(m.digest) })
          return [{ kind: 'send', to: a, msg: e.msg }, { kind: 'send', to: b, msg: other }]
        })
      }
    case 'bad-signature':
      return {
        kind,
        outbound (to, bytes) {
          const bad = bytes.slice()
          bad[bad.length - 1] ^= 0xff // the signature is the last field of the envelope
          return [{ to, bytes: bad, delayMs: 0 }]
        }
      }
    case 'replay': {
      const seen: Uint8Array[] = []
      const sent: Signed<PbftMessage>[] = []
      const remember = <T>(list: T[], item: T): void => {
        if (list.length < 256) list.push(item)
        else list[ctx.rng.int(list.length)] = item
      }
      return {
        kind,
        inbound: (bytes) => remember(seen, bytes),
        // New proposals are swallowed and an old message of its own goes out instead.
        effects: (fx) => (fx as Fx).flatMap((e): Fx => {
          if (!isOwn(ctx, e)) return [e]
          if (!PROPOSALS.has(e.msg.msg.type)) {
            remember(sent, e.msg)
            return [e]
          }
          return sent.length === 0 ? [] : [{ kind: 'broadcast', msg: ctx.rng.pick(sent) }]
        }),
        outbound (to, bytes) {
          const out: Outgoing[] = [{ to, bytes, delayMs: 0 }]
          if (seen.length > 0 && ctx.rng.chance(0.3)) out.push({ to, bytes: ctx.rng.pick(seen), delayMs: 0 })
          return out
        }
      }
    }
    case 'delay':
      return {
        kind,
        outbound: (to, bytes) => [{ to, bytes, delayMs: ctx.timeoutMs + ctx.rng.range(20, 300) }]
      }
    default: return undefined
  }
}

/** The node's honest protocol with an adversary's rewriting applied to everything it answers. */
export function byzantine (inner: Protocol<Message>, adversary: Adversary): Protocol<Message> {
  const fx = adversary.effects
  if (fx === undefined) return inner
  return {
    codec: inner.codec,
    restore: (records) => inner.restore(records),
    start: (executed, now) => fx(inner.start(executed, now)),
    onMessage: (from, msg, now) => fx(inner.onMessage(from, msg, now)),
    onTimer: (timer, now) => fx(inner.onTimer(timer, now)),
    onRequest: (batch, now) => fx(inner.onRequest(batch, now)),
    onExecuted: (seq, root, now) => fx(inner.onExecuted(seq, root, now)),
    ...(inner.onStateFetchFailed === undefined ? {} : { onStateFetchFailed: (cp, now) => fx((inner.onStateFetchFailed as NonNullable<typeof inner.onStateFetchFailed>).call(inner, cp, now)) }),
    status: () => inner.status()
  }
}
