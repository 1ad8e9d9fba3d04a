// Resource adversaries: a faulty validator that tries to make honest replicas hold, redo or send without
// bound: floods of far-future messages, proposals over the byte budget, certificates that repeat one
// signer, and requests that ask for much in return. The resources checker (resources.ts) judges them.
import { fromHex, sha256 } from '../../crypto/hash.ts'
import { makeBatch } from '../core/batch.ts'
import type { Tx } from '../core/batch.ts'
import { MAX_BATCH_BYTES, MAX_TX_BYTES } from '../core/limits.ts'
import { decodeSigned } from '../core/message.ts'
import type { Message, MessageSigner, Signed } from '../core/message.ts'
import type { Effect } from '../core/protocol.ts'
import { headerDigest } from '../bullshark/bullshark.ts'
import { bullsharkCodec, MAX_DIGESTS } from '../bullshark/codec.ts'
import type { BullsharkMessage, Certificate, Fetch, Header, Vote } from '../bullshark/messages.ts'
import type { PbftMessage, Prepare, PrePrepare, Status, ViewChange } from '../pbft/messages.ts'
import type { Adversary, AdversaryContext } from './adversary.ts'

export const RESOURCE_ADVERSARIES = ['flood-future', 'oversized', 'duplicate-signers', 'fetch-amplify'] as const
export type ResourceAdversaryKind = typeof RESOURCE_ADVERSARIES[number]

/** Spam messages a flooding node sends in all, and at most per burst (one burst per 100 ms of its output). */
const FLOOD_TOTAL = 4096
const FLOOD_BURST = 256
const BURST_EVERY_MS = 100
/** Requests a fetch amplifier sends in all: each may draw an answer of every certificate and batch held. */
const FETCH_TOTAL = 32

const fake = (ctx: AdversaryContext, i: number, salt: number): Uint8Array =>
  sha256(new TextEncoder().encode(`${ctx.self}/${salt}/${i}`))

/** Transactions whose encoded list is just over MAX_BATCH_BYTES (and well under the message limit). */
function oversizedTxs (ctx: AdversaryContext): Tx[] {
  const count = Math.ceil(MAX_BATCH_BYTES / (4 + MAX_TX_BYTES)) + 1
  return Array.from({ length: count }, (_, i) => {
    const tx = new Uint8Array(MAX_TX_BYTES)
    tx.set(fake(ctx, i, 9))
    return tx
  })
}

/** Calls `make` for a burst now and then, appending what it returns to the node's honest output. */
function bursts (ctx: AdversaryContext, limit: number, make: (count: number) => Effect<Message>[]): (fx: Effect<Message>[]) => Effect<Message>[] {
  let sent = 0
  let last = -Infinity
  return (fx) => {
    if (sent >= limit || ctx.now() - last < BURST_EVERY_MS) return fx
    last = ctx.now()
    const extra = make(Math.min(FLOOD_BURST, limit - sent))
    sent += extra.length
    return [...fx, ...extra]
  }
}

export function resourceAdversary (kind: ResourceAdversaryKind, ctx: AdversaryContext): Adversary {
  return ctx.protocol === 'bullshark' ? bullshark(kind, ctx) : pbft(kind, ctx)
}

function bullshark (kind: ResourceAdversaryKind, ctx: AdversaryContext): Adversary {
  const signer = ctx.signer as MessageSigner<BullsharkMessage>
  const q = ctx.validators.quorums.quorum
  const broadcast = (msg: Signed<BullsharkMessage>): Effect<Message> => ({ kind: 'broadcast', msg }) as Effect<Message>
  let i = 0
  switch (kind) {
    case 'flood-future':
      // Headers of rounds far ahead, and many distinct headers just ahead, over parents nobody holds.
      return {
        kind,
        effects: bursts(ctx, FLOOD_TOTAL, (count) => Array.from({ length: count }, () => {
          const round = (ctx.status().round ?? 0) + (i % 2 === 0 ? 1000 + i : 2 + (i % 8))
          const parents = Array.from({ length: q }, (_, p) => fake(ctx, i, p))
          i++
          return broadcast(signer.sign<Header>({ protocol: 'bullshark', type: 'header', author: ctx.self, round, parents, batches: [fake(ctx, i, 99)] }))
        }))
      }
    case 'oversized': {
      // A batch over the byte budget, and a header that makes it part of this node's proposal.
      const txs = oversizedTxs(ctx)
      const batch = signer.sign<BullsharkMessage>({ protocol: 'bullshark', type: 'batch', txs })
      return {
        kind,
        effects: bursts(ctx, 3, () => {
          const round = (ctx.status().round ?? 0) + 1
          return [broadcast(batch), broadcast(signer.sign<Header>({ protocol: 'bullshark', type: 'header', author: ctx.self, round, parents: [], batches: [makeBatch(txs).id] }))]
        })
      }
    }
    case 'duplicate-signers':
      // Certificates over its own headers whose votes are all its own: one signer standing for a quorum.
      return {
        kind,
        effects: (fx) => fx.flatMap((e) => {
          if (e.kind !== 'broadcast' || e.msg.from !== ctx.self || e.msg.msg.type !== 'header') return [e]
          const h = e.msg as Signed<Header>
          const vote = signer.sign<Vote>({ protocol: 'bullshark', type: 'vote', author: ctx.self, round: h.msg.round, digest: fromHex(headerDigest(h.msg)) })
          const cert: Certificate = { protocol: 'bullshark', type: 'certificate', header: h, votes: Array.from({ length: Math.max(q, 64) }, () => vote) }
          return [e, broadcast(signer.sign(cert))]
        })
      }
    case 'fetch-amplify': {
      // Asks everyone, again and again, for every certificate and batch it has heard of (and more).
      const heard: Uint8Array[] = []
      const hear = (d: Uint8Array): void => { if (heard.length < MAX_DIGESTS) heard.push(d); else heard[i++ % MAX_DIGESTS] = d }
      return {
        kind,
        inbound (bytes) {
          const d = decodeSigned(bullsharkCodec, bytes)
          if (!d.ok) return
          const m = d.value.msg
          if (m.type === 'header') { m.parents.forEach(hear); m.batches.forEach(hear) }
          if (m.type === 'certificate') { m.header.msg.parents.forEach(hear); m.header.msg.batches.forEach(hear) }
        },
        effects: bursts(ctx, FETCH_TOTAL, () => [broadcast(signer.sign<Fetch>({ protocol: 'bullshark', type: 'fetch', certs: heard.slice(0, MAX_DIGESTS), batches: heard.slice(0, MAX_DIGESTS) }))])
      }
    }
  }
}

function pbft (kind: ResourceAdversaryKind, ctx: AdversaryContext): Adversary {
  const signer = ctx.signer as MessageSigner<PbftMessage>
  const broadcast = (msg: Signed<PbftMessage>): Effect<Message> => ({ kind: 'broadcast', msg }) as Effect<Message>
  let i = 0
  switch (kind) {
    case 'flood-future':
      // Prepares and commits for views far ahead, each for a slot and digest of its own.
      return {
        kind,
        effects: bursts(ctx, FLOOD_TOTAL, (count) => Array.from({ length: count }, () => {
          const view = ctx.status().view + 1 + (i % 1000)
          const seq = ctx.status().lastCommitted + 1 + (i % 32)
          i++
          return broadcast(signer.sign<Prepare>({ protocol: 'pbft', type: i % 2 === 0 ? 'prepare' : 'commit', view, seq, digest: fake(ctx, i, 1) } as Prepare))
        }))
      }
    case 'oversized': {
      const batch = makeBatch(oversizedTxs(ctx))
      return {
        kind,
        effects: bursts(ctx, 3, () => [broadcast(signer.sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: ctx.status().view, seq: ctx.status().lastCommitted + 1, digest: batch.id, batch }))])
      }
    }
    case 'duplicate-signers':
      // A view change whose prepared certificate repeats one signer's prepare where a quorum should sign.
      return {
        kind,
        effects: (fx) => fx.flatMap((e) => {
          if (e.kind !== 'broadcast' || e.msg.from !== ctx.self || (e.msg.msg.type !== 'prepare' && e.msg.msg.type !== 'pre-prepare')) return [e]
          const m = e.msg.msg as Prepare | PrePrepare
          // The pre-prepare as certificates carry it: its header, without the batch.
          const pp = signer.sign<PrePrepare>({ protocol: 'pbft', type: 'pre-prepare', view: m.view, seq: m.seq, digest: m.type === 'pre-prepare' ? m.digest : makeBatch([]).id })
          const p = signer.sign<Prepare>({ protocol: 'pbft', type: 'prepare', view: m.view, seq: m.seq, digest: pp.msg.digest })
          const vc: ViewChange = { protocol: 'pbft', type: 'view-change', view: p.msg.view + 1, stableSeq: 0, stableRoot: new Uint8Array(32), checkpointProof: [], prepared: [{ prePrepare: pp, prepares: Array.from({ length: 64 }, () => p) }] }
          return [e, broadcast(signer.sign(vc))]
        })
      }
    case 'fetch-amplify':
      // Claims again and again to be far behind, so peers send it what it lacks.
      return {
        kind,
        effects: bursts(ctx, FETCH_TOTAL * 8, () => [broadcast(signer.sign<Status>({ protocol: 'pbft', type: 'status', view: 0, viewChanging: false, stableSeq: 0, lastCommitted: 0 }))])
      }
  }
}
