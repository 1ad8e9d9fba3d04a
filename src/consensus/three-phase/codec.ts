// Canonical encoding of three-phase bodies (see core/codec.ts for the primitives), for one variant's tag.
// A variant whose votes carry proofs gets one more bytes field on prepares and commits; without proofs the
// layout is PBFT's.
import { HASH_BYTES } from '../../crypto/hash.ts'
import { idsDigest, makeBatch } from '../core/batch.ts'
import { CodecError, Writer } from '../core/codec.ts'
import type { Reader } from '../core/codec.ts'
import { MAX_BATCH_TXS, MAX_TX_BYTES } from '../core/limits.ts'
import { readSigned, writeSigned } from '../core/message.ts'
import type { DecodeContext, MessageCodec, Signed } from '../core/message.ts'
import { bytesEqual } from '../../crypto/hash.ts'
import type { CheckpointMsg, NewView, ThreePhaseMessage, PrePrepare, Prepare, PreparedCert, ViewChange } from './messages.ts'

/** Largest vote proof a variant may carry. */
export const MAX_PROOF_BYTES = 1024
/** Most digests one batch-request may name (a replica asks for at most a watermark window's worth). */
export const MAX_REQUESTED_DIGESTS = 4096

const writeHeader = (w: Writer, m: PrePrepare): Writer => w.u64(m.view).u64(m.seq).bytes(m.digest)
const PP_HEADER = 0
const PP_BATCH = 1
const PP_IDS = 2

const hash = (r: Reader, what: string): Uint8Array => r.fixed(HASH_BYTES, what)
const txs = (r: Reader): Uint8Array[] => r.list((r) => r.bytes(MAX_TX_BYTES, 'transaction'), MAX_BATCH_TXS)

/** Largest pre-prepare certificate a variant may carry. */
export const MAX_PRE_PREPARE_CERT_BYTES = 64 * 1024

/** The codec of variant `protocol`; `proofs`: its prepares and commits carry a proof field; `certs`: its
 *  pre-prepares carry a certificate field (empty when absent); `checkpointExtras`: its checkpoints carry
 *  an extra hash field (empty when absent). Without them the layout is PBFT's, byte for byte. */
export function threePhaseCodec (protocol: string, proofs = false, certs = false, checkpointExtras = false): MessageCodec<ThreePhaseMessage> {
  function signedOf<T extends ThreePhaseMessage['type']> (r: Reader, ctx: DecodeContext, type: T): Signed<Extract<ThreePhaseMessage, { type: T }>> {
    const s = readSigned(r, codec, ctx)
    if (s.msg.type !== type) throw new CodecError(`expected a signed ${type}, got ${s.msg.type}`)
    return s as Signed<Extract<ThreePhaseMessage, { type: T }>>
  }

  function writeCert (w: Writer, c: PreparedCert): void {
    writeSigned(w, codec, c.prePrepare)
    w.list(c.prepares, (w, p) => writeSigned(w, codec, p))
  }

  function readCert (r: Reader, ctx: DecodeContext): PreparedCert {
    return { prePrepare: signedOf(r, ctx, 'pre-prepare'), prepares: r.list((r) => signedOf(r, ctx, 'prepare')) }
  }

  const codec: MessageCodec<ThreePhaseMessage> = {
    protocol,

    // A pre-prepare's signature covers its header, so the same signature stands with or without the batch.
    signedBody (m: ThreePhaseMessage): Uint8Array | undefined {
      return m.type === 'pre-prepare' ? writeHeader(new Writer(64), m).finish() : undefined
    },

    // An accepted pre-prepare's batch is stored once by digest beside the record; the signature covers the
    // header, so the header alone is still the signed pre-prepare.
    detachBody (m: ThreePhaseMessage) {
      if (m.type !== 'rec-accept') return undefined
      const pp = m.prePrepare
      const { batch, ...header } = pp.msg
      // typed as a record only to be encoded: the header-only pre-prepare is what the WAL row holds
      return { msg: { ...m, prePrepare: { ...pp, msg: header } } as unknown as ThreePhaseMessage, body: batch }
    },

    encodeBody (m: ThreePhaseMessage, w: Writer): void {
      switch (m.type) {
        case 'request': w.list(m.txs, (w, t) => w.bytes(t)); return
        case 'pre-prepare':
          // What follows the header: nothing (0), the batch (1) or its transaction ids (2).
          writeHeader(w, m).u8(m.batch !== undefined ? PP_BATCH : m.txIds !== undefined ? PP_IDS : PP_HEADER)
          if (m.batch !== undefined) w.list(m.batch.txs, (w, t) => w.bytes(t))
          else if (m.txIds !== undefined) w.list(m.txIds, (w, id) => w.raw(id))
          if (certs) w.bytes(m.cert ?? new Uint8Array(0))
          return
        case 'batch-request': w.list(m.digests, (w, d) => w.bytes(d)); return
        case 'batch': w.list(m.txs, (w, t) => w.bytes(t)); return
        case 'prepare': case 'commit':
          w.u64(m.view).u64(m.seq).bytes(m.digest)
          if (proofs) w.bytes(m.proof ?? new Uint8Array(0))
          return
        case 'checkpoint':
          w.u64(m.seq).bytes(m.stateRoot)
          if (checkpointExtras) w.bytes(m.extra ?? new Uint8Array(0))
          return
        case 'view-change':
          w.u64(m.view).u64(m.stableSeq).bytes(m.stableRoot)
          w.list(m.checkpointProof, (w, s) => writeSigned(w, codec, s))
          w.list(m.prepared, writeCert)
          return
        case 'new-view':
          w.u64(m.view)
          w.list(m.viewChanges, (w, s) => writeSigned(w, codec, s))
          w.list(m.prePrepares, (w, s) => writeSigned(w, codec, s))
          return
        case 'status': w.u64(m.view).bool(m.viewChanging).u64(m.stableSeq).u64(m.lastCommitted); return
        case 'decided':
          w.u64(m.view).u64(m.seq).bytes(m.digest).list(m.txs, (w, t) => w.bytes(t))
          w.list(m.commits, (w, s) => writeSigned(w, codec, s))
          return
        case 'rec-view': w.u64(m.view).bool(m.viewChanging); return
        case 'rec-accept': writeSigned(w, codec, m.prePrepare); return
        case 'rec-prepared': writeCert(w, m.cert); return
        case 'rec-stable':
          w.u64(m.seq).bytes(m.stateRoot).list(m.proof, (w, s) => writeSigned(w, codec, s)).u64(m.view).bool(m.viewChanging)
          return
        case 'rec-new-view': writeSigned(w, codec, m.newView)
      }
    },

    decodeBody (type: string, r: Reader, ctx: DecodeContext): ThreePhaseMessage {
      switch (type) {
        case 'request': return { protocol, type, txs: txs(r) }
        case 'pre-prepare': {
          const view = r.u64()
          const seq = r.u64()
          const digest = hash(r, 'digest')
          const follows = r.u8('pre-prepare body kind')
          if (follows > PP_IDS) throw new CodecError(`unknown pre-prepare body kind ${follows}`)
          const batch = follows === PP_BATCH ? makeBatch(txs(r)) : undefined
          if (batch !== undefined && !bytesEqual(batch.id, digest)) throw new CodecError('pre-prepare batch does not match its digest')
          const txIds = follows === PP_IDS ? r.list((r) => r.raw(HASH_BYTES, 'transaction id'), MAX_BATCH_TXS) : undefined
          if (txIds !== undefined && !bytesEqual(idsDigest(txIds), digest)) throw new CodecError('pre-prepare transaction ids do not match its digest')
          const cert = certs ? r.bytes(MAX_PRE_PREPARE_CERT_BYTES, 'pre-prepare certificate') : undefined
          const header: PrePrepare = { protocol, type, view, seq, digest }
          const withBatch: PrePrepare = batch !== undefined ? { ...header, batch } : txIds !== undefined ? { ...header, txIds } : header
          return cert === undefined || cert.byteLength === 0 ? withBatch : { ...withBatch, cert: cert.slice() }
        }
        case 'batch-request': return { protocol, type, digests: r.list((r) => hash(r, 'digest'), MAX_REQUESTED_DIGESTS) }
        case 'batch': return { protocol, type, txs: txs(r) }
        case 'prepare': case 'commit': {
          const vote = { protocol, type, view: r.u64(), seq: r.u64(), digest: hash(r, 'digest') } satisfies Prepare | { type: 'commit' }
          return proofs ? { ...vote, proof: r.bytes(MAX_PROOF_BYTES, 'vote proof') } : vote
        }
        case 'checkpoint': {
          const cp: CheckpointMsg = { protocol, type, seq: r.u64(), stateRoot: hash(r, 'state root') }
          if (!checkpointExtras) return cp
          const extra = r.bytes(HASH_BYTES, 'checkpoint extra')
          if (extra.byteLength !== 0 && extra.byteLength !== HASH_BYTES) throw new CodecError(`a checkpoint extra is empty or ${HASH_BYTES} bytes, got ${extra.byteLength}`)
          return extra.byteLength === 0 ? cp : { ...cp, extra: extra.slice() }
        }
        case 'view-change':
          return {
            protocol,
            type,
            view: r.u64(),
            stableSeq: r.u64(),
            stableRoot: hash(r, 'state root'),
            checkpointProof: r.list((r) => signedOf(r, ctx, 'checkpoint')),
            prepared: r.list((r) => readCert(r, ctx))
          } satisfies ViewChange
        case 'new-view':
          return {
            protocol,
            type,
            view: r.u64(),
            viewChanges: r.list((r) => signedOf(r, ctx, 'view-change')),
            prePrepares: r.list((r) => signedOf(r, ctx, 'pre-prepare'))
          } satisfies NewView
        case 'status': return { protocol, type, view: r.u64(), viewChanging: r.bool(), stableSeq: r.u64(), lastCommitted: r.u64() }
        case 'decided': {
          const view = r.u64()
          const seq = r.u64()
          const digest = hash(r, 'digest')
          const batch = makeBatch(txs(r))
          if (!bytesEqual(batch.id, digest)) throw new CodecError('decided batch does not match its digest')
          return { protocol, type, view, seq, digest, txs: batch.txs, commits: r.list((r) => signedOf(r, ctx, 'commit')) }
        }
        case 'rec-view': return { protocol, type, view: r.u64(), viewChanging: r.bool() }
        case 'rec-accept': {
          // Written by detachBody: the header only, its batch in the body store under its digest.
          const prePrepare = signedOf(r, ctx, 'pre-prepare')
          if (prePrepare.msg.batch !== undefined || ctx.body === undefined) throw new CodecError('an accepted pre-prepare record names its batch by digest, outside a WAL record it means nothing')
          const batch = ctx.body(prePrepare.msg.digest)
          return { protocol, type, prePrepare: { ...prePrepare, msg: { ...prePrepare.msg, batch } } }
        }
        case 'rec-prepared': return { protocol, type, cert: readCert(r, ctx) }
        case 'rec-stable':
          return { protocol, type, seq: r.u64(), stateRoot: hash(r, 'state root'), proof: r.list((r) => signedOf(r, ctx, 'checkpoint')), view: r.u64(), viewChanging: r.bool() }
        case 'rec-new-view': return { protocol, type, newView: signedOf(r, ctx, 'new-view') }
        default: throw new CodecError(`unknown ${protocol} message type '${type.slice(0, 40)}'`)
      }
    }
  }
  return codec
}
