// On-disk form of a protocol's persisted records, versioned apart from the wire format so a later release
// can read what an earlier one wrote to the consensus WAL. A record that carries a batch (the codec's
// detachBody) is written without it: the batch goes to the body store once, by digest, in the same WAL
// transaction, and decoding resolves the digest back through a lookup the host supplies.
import { bytesEqual, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { makeBatch } from './batch.ts'
import type { Batch, Tx } from './batch.ts'
import { CodecError, Reader, Writer } from './codec.ts'
import { encodeBody } from './message.ts'
import type { Message, MessageCodec } from './message.ts'
import type { PersistedRecord } from './protocol.ts'
import { err, ok } from './result.ts'
import type { Result } from './result.ts'

/** 3: records name their batch by digest, the body lives in the body store. 2 (and 1) carried batches
 *  inline, shared the wire version's number, and are refused with the way forward. */
export const RECORD_VERSION = 3

/** The host's body store: a stored batch's transactions by digest, undefined when it has none. */
export type BodyLookup = (digest: Hash) => readonly Tx[] | undefined

/** A record's bytes and, when the codec detached one, the batch to store beside it. */
export interface EncodedRecord {
  readonly bytes: Uint8Array
  readonly body?: Batch
}

export function encodeRecord<M extends Message> (codec: MessageCodec<M>, rec: PersistedRecord<M>): EncodedRecord {
  const detached = codec.detachBody?.(rec.msg)
  const msg = detached?.msg ?? rec.msg
  const bytes = new Writer(64).u8(RECORD_VERSION).u64(rec.seq).str(msg.protocol).str(msg.type).bytes(encodeBody(codec, msg)).finish()
  return detached === undefined ? { bytes } : { bytes, body: detached.body }
}

export function decodeRecord<M extends Message> (codec: MessageCodec<M>, bytes: Uint8Array, bodies?: BodyLookup): Result<PersistedRecord<M>> {
  try {
    const r = new Reader(bytes)
    const version = r.u8()
    if (version !== RECORD_VERSION) {
      throw new CodecError(version < RECORD_VERSION
        ? `record format ${version} was written by an older release (batches inline in the WAL); this release reads format ${RECORD_VERSION} only: let the older release run until a stable checkpoint prunes its records, or start this node with an empty data dir and let it catch up by state transfer`
        : `unknown record version ${version} (newer than this release's ${RECORD_VERSION})`)
    }
    const seq = r.u64()
    const protocol = r.str()
    if (protocol !== codec.protocol) throw new CodecError(`record of protocol '${protocol}', expected '${codec.protocol}'`)
    const type = r.str()
    const br = new Reader(r.bytes())
    r.end()
    const body = (digest: Hash): Batch => {
      const txs = bodies?.(digest)
      if (txs === undefined) throw new CodecError(`batch body ${toHex(digest).slice(0, 16)} is not in the body store`)
      const batch = makeBatch(txs)
      if (!bytesEqual(batch.id, digest)) throw new CodecError(`stored batch body ${toHex(digest).slice(0, 16)} does not match its digest`)
      return batch
    }
    const msg = codec.decodeBody(type, br, { depth: 1, body })
    br.end()
    return ok({ seq, msg })
  } catch (e) {
    return err(e instanceof CodecError ? e.message : `malformed record: ${(e as Error).message}`)
  }
}
