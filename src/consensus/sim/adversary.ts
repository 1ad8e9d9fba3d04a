// Byzantine behaviours. Each runs on top of the honest protocol of its node: some rewrite the effects the
// protocol answers with (they need to sign, which a faulty node can do with its own key), others tamper
// with the bytes on the way out. None can sign as another node.
import { sha256 } from '../../crypto/hash.ts'
import { EMPTY_BATCH, makeBatch } from '../core/batch.ts'
import type { MessageSigner, Signed } from '../core/message.ts'
import type { Effect, Protocol } from '../core/protocol.ts'
import type { ValidatorId } from '../core/validators.ts'
import type { PbftMessage, PrePrepare } from '../pbft/messages.ts'
import type { PbftParams } from '../pbft/params.ts'
import type { Prng } from './prng.ts'
import type { AdversaryKind } from './scenario.ts'

type Fx = Effect<PbftMessage>[]

export interface AdversaryContext {
  readonly self: ValidatorId
  readonly others: readonly ValidatorId[]
  readonly signer: MessageSigner<PbftMessage>
  readonly params: PbftParams
  readonly rng: Prng
  now (): number
  /** Crash this node right now (it restarts later, honest, from its WAL). */
  crash (): void
}

export interface Outgoing { readonly to: readonly ValidatorId[], readonly bytes: Uint8Array, readonly delayMs: number }

export interface Adversary {
  readonly kind: AdversaryKind
  effects? (fx: Fx): Fx
  outbound? (to: readonly ValidatorId[], bytes: Uint8Array): Outgoing[]
  inbound? (bytes: Uint8Array): void
}

const halves = (ids: readonly ValidatorId[]): [ValidatorId[], ValidatorId[]] => {
  const mid = Math.ceil(ids.length / 2)
  return [ids.slice(0, mid), ids.slice(mid)]
}

/** A batch with the same transactions in another order, or undefined when there is no other order. */
function variantOf (pp: PrePrepare): PrePrepare | undefined {
  const txs = pp.batch.txs
  if (txs.length === 0) return undefined
  return { ...pp, batch: txs.length === 1 ? EMPTY_BATCH : makeBatch([...txs].reverse()) }
}

const isOwn = (ctx: AdversaryContext, e: Effect<PbftMessage>): e is Extract<Effect<PbftMessage>, { kind: 'broadcast' }> =>
  e.kind === 'broadcast' && e.msg.from === ctx.self

export function makeAdversary (kind: AdversaryKind, ctx: AdversaryContext): Adversary | undefined {
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
        effects: (fx) => fx.flatMap((e): Fx => {
          if (!isOwn(ctx, e) || e.msg.msg.type !== 'pre-prepare') return [e]
          const variant = variantOf(e.msg.msg)
          if (variant === undefined) return [e]
          const [a, b] = halves(ctx.rng.shuffle(ctx.others))
          return [{ kind: 'send', to: a, msg: e.msg }, { kind: 'send', to: b, msg: ctx.signer.sign(variant) }]
        })
      }
    case 'double-vote':
      return {
        kind,
        effects: (fx) => fx.flatMap((e): Fx => {
          if (!isOwn(ctx, e)) return [e]
          const m = e.msg.msg
          if (m.type === 'pre-prepare') {
            const variant = variantOf(m)
            return variant === undefined ? [e] : [e, { kind: 'broadcast', msg: ctx.signer.sign(variant) }]
          }
          if (m.type !== 'prepare' && m.type !== 'commit') return [e]
          const [a, b] = halves(ctx.rng.shuffle(ctx.others))
          const other = ctx.signer.sign({ ...m, digest: sha256(m.digest) })
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
        effects: (fx) => fx.flatMap((e): Fx => {
          if (!isOwn(ctx, e)) return [e]
          if (e.msg.msg.type !== 'pre-prepare') {
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
        outbound: (to, bytes) => [{ to, bytes, delayMs: ctx.params.viewChangeTimeoutMs + ctx.rng.range(20, 300) }]
      }
  }
}

/** The node's honest protocol with an adversary's rewriting applied to everything it answers. */
export function byzantine (inner: Protocol<PbftMessage>, adversary: Adversary): Protocol<PbftMessage> {
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
    status: () => inner.status()
  }
}
