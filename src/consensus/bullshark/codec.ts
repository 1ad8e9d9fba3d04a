// Canonical encoding of Narwhal/Bullshark bodies (see core/codec.ts for the primitives).
import { HASH_BYTES } from '../../crypto/hash.ts'
import { makeBatch } from '../core/batch.ts'
import { CodecError } from '../core/codec.ts'
import type { Reader, Writer } from '../core/codec.ts'
import { MAX_BATCH_TXS, MAX_TX_BYTES } from '../core/limits.ts'
import { readSigned, writeSigned } from '../core/message.ts'
import type { DecodeContext, MessageCodec, Signed } from '../core/message.ts'
import { BULLSHARK } from './messages.ts'
import type { BullsharkMessage, Frontier, Header, Vote } from './messages.ts'

/** Most digests in one header or fetch: bounds what a stranger can make a node look up. */
export const MAX_DIGESTS = 1024
/** Most validators a frontier may list. */
export const MAX_VALIDATORS = 1024

const hash = (r: Reader): Uint8Array => r.fixed(HASH_BYTES, 'digest')
const hashes = (r: Reader): Uint8Array[] => r.list(hash, MAX_DIGESTS)
const writeHashes = (w: Writer, hs: readonly Uint8Array[]): void => { w.list(hs, (w, h) => w.bytes(h)) }

function signedOf<T extends 'header' | 'vote'> (r: Reader, ctx: DecodeContext, type: T): Signed<T extends 'header' ? Header : Vote> {
  const s = readSigned(r, bullsharkCodec, ctx)
  if (s.msg.type !== type) throw new CodecError(`expected a signed ${type}, got ${s.msg.type}`)
  return s as Signed<T extends 'header' ? Header : Vote>
}

const writeFrontier = (w: Writer, f: Frontier): void => { w.u64(f.seq).u64(f.anchorRound).list(f.lastOrdered, (w, v) => w.u64(v)) }
const readFrontier = (r: Reader): Frontier => ({ seq: r.u64(), anchorRound: r.u64(), lastOrdered: r.list((r) => r.u64(), MAX_VALIDATORS) })

export const bullsharkCodec: MessageCodec<BullsharkMessage> = {
  protocol: BULLSHARK,

  encodeBody (m: BullsharkMessage, w: Writer): void {
    switch (m.type) {
      case 'batch': w.list(m.txs, (w, t) => w.bytes(t)); return
      case 'header': w.str(m.author).u64(m.round); writeHashes(w, m.parents); writeHashes(w, m.batches); return
      case 'vote': case 'rec-vote': w.str(m.author).u64(m.round).bytes(m.digest); return
      case 'certificate': writeSigned(w, bullsharkCodec, m.header); w.list(m.votes, (w, v) => writeSigned(w, bullsharkCodec, v)); return
      case 'fetch': writeHashes(w, m.certs); writeHashes(w, m.batches); return
      case 'checkpoint': writeFrontier(w, m); w.bytes(m.stateRoot); return
      case 'status': w.u64(m.round).u64(m.anchorRound); return
      case 'rec-header': writeSigned(w, bullsharkCodec, m.header); return
      case 'rec-frontier': writeFrontier(w, m); return
      case 'rec-batch': w.bytes(m.digest)
    }
  },

  // A certified batch is persisted once, in the body store under its digest; the WAL row names it.
  detachBody (m: BullsharkMessage) {
    if (m.type !== 'batch') return undefined
    const body = makeBatch(m.txs)
    return { msg: { protocol: BULLSHARK, type: 'rec-batch', digest: body.id }, body }
  },

  decodeBody (type: string, r: Reader, ctx: DecodeContext): BullsharkMessage {
    const protocol = BULLSHARK
    switch (type) {
      case 'batch': return { protocol, type, txs: r.list((r) => r.bytes(MAX_TX_BYTES, 'transaction'), MAX_BATCH_TXS) }
      case 'header': return { protocol, type, author: r.str(), round: r.u64(), parents: hashes(r), batches: hashes(r) }
      case 'vote': case 'rec-vote': return { protocol, type, author: r.str(), round: r.u64(), digest: hash(r) }
      case 'certificate': return { protocol, type, header: signedOf(r, ctx, 'header'), votes: r.list((r) => signedOf(r, ctx, 'vote'), MAX_VALIDATORS) }
      case 'fetch': return { protocol, type, certs: hashes(r), batches: hashes(r) }
      case 'checkpoint': return { protocol, type, ...readFrontier(r), stateRoot: hash(r) }
      case 'status': return { protocol, type, round: r.u64(), anchorRound: r.u64() }
      case 'rec-header': return { protocol, type, header: signedOf(r, ctx, 'header') }
      case 'rec-frontier': return { protocol, type, ...readFrontier(r) }
      case 'rec-batch': {
        const digest = hash(r)
        if (ctx.body === undefined) throw new CodecError('a batch reference means nothing outside a WAL record')
        return { protocol, type: 'batch', txs: ctx.body(digest).txs }
      }
      default: throw new CodecError(`unknown bullshark message type '${type.slice(0, 40)}'`)
    }
  }
}
