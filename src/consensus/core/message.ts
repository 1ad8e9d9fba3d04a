// Consensus messages: a tagged union per protocol ({ protocol, type, ... }), each protocol supplying the
// codec for its bodies. The wire unit is a Signed envelope; the signed bytes are the domain tag
// `novacron/v1/<genesis>/<protocol>/<type>` followed by the canonical body encoding.
import { DomainTags } from '../../crypto/domain.ts'
import type { Signer, Verifier } from '../../crypto/signer.ts'
import { CodecError, Reader, Writer } from './codec.ts'
import { MAX_NESTING } from './limits.ts'
import { err, ok } from './result.ts'
import type { Result } from './result.ts'
import type { ValidatorId } from './validators.ts'
import type { Batch } from './batch.ts'
import type { Hash } from '../../crypto/hash.ts'

/** Wire and on-disk format version; a decoder refuses versions it does not know. 2: three-phase
 *  pre-prepares sign their batch's digest and certificates carry digests (version 1 records are refused). */
export const WIRE_VERSION = 2

export interface Message {
  /** Which protocol's codec owns this message ('pbft', 'bullshark', ...). */
  readonly protocol: string
  readonly type: string
}

export interface Signed<M extends Message = Message> {
  readonly from: ValidatorId
  readonly msg: M
  readonly sig: Uint8Array
}

/** A protocol's body codec. decodeBody may throw CodecError; callers turn that into a Result. */
export interface MessageCodec<M extends Message = Message> {
  readonly protocol: string
  encodeBody (msg: M, w: Writer): void
  decodeBody (type: string, r: Reader, ctx: DecodeContext): M
  /** The bytes a signature covers when they are not the whole body: a part that may travel apart from
   *  what is signed (a pre-prepare signs its batch's digest, so the batch can be left out and fetched). */
  signedBody? (msg: M): Uint8Array | undefined
  /** A persisted record that carries a batch: the batch, which the WAL stores once by its digest in the
   *  node's body store, and the record without it (naming the digest), which is what the WAL row holds.
   *  Decoding that record again gets the body from DecodeContext.body. Absent: records hold everything. */
  detachBody? (msg: M): { readonly msg: M, readonly body: Batch } | undefined
}

/** What a signature over `msg` covers: the codec's signedBody, else the canonical body. */
const signedBytesOf = <M extends Message>(codec: MessageCodec<M>, msg: M): Uint8Array => codec.signedBody?.(msg) ?? encodeBody(codec, msg)

/** Passed down through nested decodes so a signed message inside a signed message stays bounded. */
export interface DecodeContext {
  readonly depth: number
  /** Only while decoding a WAL record (core/record.ts): the stored batch of `digest`, checked against it;
   *  throws CodecError when the body store lacks it. Nested messages never get it. */
  readonly body?: (digest: Hash) => Batch
}

// Decoded and signed messages keep the exact body bytes, so verifying or re-sending never re-encodes.
const bodyCache = new WeakMap<Message, Uint8Array>()

export function encodeBody<M extends Message> (codec: MessageCodec<M>, msg: M): Uint8Array {
  let body = bodyCache.get(msg)
  if (body === undefined) {
    const w = new Writer()
    codec.encodeBody(msg, w)
    body = w.finish()
    bodyCache.set(msg, body)
  }
  return body
}

export function writeSigned<M extends Message> (w: Writer, codec: MessageCodec<M>, s: Signed<M>): void {
  w.u8(WIRE_VERSION).str(s.msg.protocol).str(s.msg.type).str(s.from).bytes(encodeBody(codec, s.msg)).bytes(s.sig)
}

export function readSigned<M extends Message> (r: Reader, codec: MessageCodec<M>, ctx: DecodeContext = { depth: 0 }): Signed<M> {
  if (ctx.depth > MAX_NESTING) throw new CodecError(`signed messages nested deeper than ${MAX_NESTING}`)
  const version = r.u8()
  if (version !== WIRE_VERSION) throw new CodecError(`unknown wire version ${version}`)
  const protocol = r.str()
  if (protocol !== codec.protocol) throw new CodecError(`message for protocol '${protocol}', expected '${codec.protocol}'`)
  const type = r.str()
  const from = r.str()
  const body = r.bytes()
  const sig = r.bytes(1024, 'signature')
  const br = new Reader(body)
  const msg = codec.decodeBody(type, br, { depth: ctx.depth + 1 })
  br.end()
  if (msg.type !== type || msg.protocol !== protocol) throw new CodecError(`codec decoded ${msg.protocol}/${msg.type} for ${protocol}/${type}`)
  bodyCache.set(msg, body)
  return { from, msg, sig: sig.slice() }
}

export function encodeSigned<M extends Message> (codec: MessageCodec<M>, s: Signed<M>): Uint8Array {
  // Sized exactly: every message sent is encoded once, and growing buffers showed up in profiles.
  const body = encodeBody(codec, s.msg)
  const w = new Writer(1 + 5 * 4 + s.msg.protocol.length * 3 + s.msg.type.length * 3 + s.from.length * 3 + body.byteLength + s.sig.byteLength)
  writeSigned(w, codec, s)
  return w.finish()
}

/** Decodes bytes from a stranger: never throws, whatever the input. */
export function decodeSigned<M extends Message> (codec: MessageCodec<M>, bytes: Uint8Array): Result<Signed<M>> {
  try {
    const r = new Reader(bytes)
    const s = readSigned(r, codec)
    r.end()
    return ok(s)
  } catch (e) {
    return err(e instanceof CodecError ? e.message : `malformed message: ${(e as Error).message}`)
  }
}

/** Signs messages for one validator under one genesis: what protocols get instead of raw keys. */
export class MessageSigner<M extends Message = Message> {
  readonly id: ValidatorId
  readonly #signer: Signer
  readonly #codec: MessageCodec<M>
  readonly #tags: DomainTags

  constructor (signer: Signer, codec: MessageCodec<M>, genesisHash: Uint8Array) {
    this.id = signer.id
    this.#signer = signer
    this.#codec = codec
    this.#tags = new DomainTags(genesisHash)
  }

  sign<T extends M> (msg: T): Signed<T> {
    const bytes = this.#tags.signingBytes(`${msg.protocol}/${msg.type}`, signedBytesOf(this.#codec, msg))
    return { from: this.id, msg, sig: this.#signer.sign(bytes) }
  }
}

export class MessageVerifier<M extends Message = Message> {
  readonly #verifier: Verifier
  readonly #codec: MessageCodec<M>
  readonly #tags: DomainTags
  // A signed object checked once (e.g. a prepare later seen inside a certificate) is not checked again.
  readonly #verified = new WeakSet<Signed<M>>()

  constructor (verifier: Verifier, codec: MessageCodec<M>, genesisHash: Uint8Array) {
    this.#verifier = verifier
    this.#codec = codec
    this.#tags = new DomainTags(genesisHash)
  }

  verify (s: Signed<M>): boolean {
    if (this.#verified.has(s)) return true
    const bytes = this.#tags.signingBytes(`${s.msg.protocol}/${s.msg.type}`, signedBytesOf(this.#codec, s.msg))
    const good = this.#verifier.verify(s.from, bytes, s.sig)
    if (good) this.#verified.add(s)
    return good
  }
}
