// On-disk form of a protocol's persisted records, versioned like the wire format so a later release can
// read what an earlier one wrote to the consensus WAL.
import { CodecError, Reader, Writer } from './codec.ts'
import { WIRE_VERSION, encodeBody } from './message.ts'
import type { Message, MessageCodec } from './message.ts'
import type { PersistedRecord } from './protocol.ts'
import { err, ok } from './result.ts'
import type { Result } from './result.ts'

export function encodeRecord<M extends Message> (codec: MessageCodec<M>, rec: PersistedRecord<M>): Uint8Array {
  return new Writer(64).u8(WIRE_VERSION).u64(rec.seq).str(rec.msg.protocol).str(rec.msg.type).bytes(encodeBody(codec, rec.msg)).finish()
}

export function decodeRecord<M extends Message> (codec: MessageCodec<M>, bytes: Uint8Array): Result<PersistedRecord<M>> {
  try {
    const r = new Reader(bytes)
    const version = r.u8()
    if (version !== WIRE_VERSION) throw new CodecError(`unknown record version ${version}`)
    const seq = r.u64()
    const protocol = r.str()
    if (protocol !== codec.protocol) throw new CodecError(`record of protocol '${protocol}', expected '${codec.protocol}'`)
    const type = r.str()
    const br = new Reader(r.bytes())
    r.end()
    const msg = codec.decodeBody(type, br, { depth: 1 })
    br.end()
    return ok({ seq, msg })
  } catch (e) {
    return err(e instanceof CodecError ? e.message : `malformed record: ${(e as Error).message}`)
  }
}
