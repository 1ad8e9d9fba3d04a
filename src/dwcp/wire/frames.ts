// The DWCP wire format, version 1. Every frame starts with (version u8, type u8); integers are big-endian.
// One transfer uses N streams: the first carries the offer and the control exchange, the others open
// with `join`; chunks flow on all of them and each chunk is acked or nacked on the stream it came on.
import { ByteReader, ByteWriter, DecodeError, utf8Bytes } from '../../encoding/bytes.ts'
import { HASH_BYTES, SIGNATURE_HASH_BYTES, TRANSFER_ID_BYTES, maxFrameBytes } from './limits.ts'
import type { WireLimits } from './limits.ts'
import { fail, ok } from '../result.ts'
import type { Result } from '../result.ts'

export const WIRE_VERSION = 1

/** Codec ids on the wire; the zstd level is not needed to decode, so it is not sent. */
export const CODEC_IDS = { none: 0, zstd: 1, lz4: 2, snappy: 3 } as const
export type CodecName = keyof typeof CODEC_IDS
const CODEC_BY_ID = new Map<number, CodecName>(Object.entries(CODEC_IDS).map(([name, id]) => [id, name as CodecName]))

export interface DeltaTarget {
  /** The receiver's older version, a name in its receive directory. */
  baseName: string
  targetSize: number
  targetHash: Uint8Array
}

export interface CdcParams { minSize: number, avgSize: number, maxSize: number }

export type Frame =
  | { type: 'offer', id: string, name: string, size: number, chunkSize: number, fileHash: Uint8Array, delta: DeltaTarget | null }
  | { type: 'accept', id: string, chunkSize: number, verified: Uint8Array }
  | { type: 'reject', id: string, reason: string }
  | { type: 'join', id: string }
  | { type: 'chunk', id: string, index: number, codec: CodecName, rawLength: number, hash: Uint8Array, payload: Uint8Array }
  | { type: 'ack', id: string, index: number }
  | { type: 'nack', id: string, index: number, reason: string }
  | { type: 'complete', id: string }
  | { type: 'result', id: string, ok: boolean, hash: Uint8Array, reason: string }
  | { type: 'sig-request', id: string, baseName: string, params: CdcParams }
  | { type: 'signature', id: string, found: boolean, params: CdcParams, hashes: Uint8Array }

export type FrameType = Frame['type']
export type FrameOf<T extends FrameType> = Extract<Frame, { type: T }>

const TYPE_IDS: Record<FrameType, number> = {
  offer: 1, accept: 2, reject: 3, join: 4, chunk: 5, ack: 6, nack: 7, complete: 8, result: 9, 'sig-request': 10, signature: 11
}
const TYPE_BY_ID = new Map<number, FrameType>(Object.entries(TYPE_IDS).map(([t, id]) => [id, t as FrameType]))
const MAX_REASON_BYTES = 1024

export function idToBytes (id: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new RangeError(`transfer id must be 32 lowercase hex digits: ${id}`)
  return Buffer.from(id, 'hex')
}

/** A u16-length-prefixed UTF-8 string, refused above `max` bytes before it is read. */
function readString (r: ByteReader, max: number, what: string): string {
  return r.utf8(r.prefixed(16, max, what), what)
}

function writeHeader (type: FrameType, id: string): ByteWriter {
  return new ByteWriter().u8(WIRE_VERSION).u8(TYPE_IDS[type]).raw(idToBytes(id))
}

/** Chunk frames are the bulk of the traffic: header and payload go into one buffer sized up front. */
function encodeChunk (f: FrameOf<'chunk'>): Uint8Array {
  const head = writeHeader('chunk', f.id).u32(f.index).u8(CODEC_IDS[f.codec]).u32(f.rawLength)
    .u32(f.payload.byteLength).raw(f.hash).finish()
  const out = new Uint8Array(head.byteLength + f.payload.byteLength)
  out.set(head)
  out.set(f.payload, head.byteLength)
  return out
}

export function encodeFrame (f: Frame): Uint8Array {
  switch (f.type) {
    case 'chunk': return encodeChunk(f)
    case 'offer': {
      const w = writeHeader('offer', f.id).prefixed(16, utf8Bytes(f.name)).u64(f.size).u32(f.chunkSize).raw(f.fileHash)
      if (f.delta === null) return w.u8(0).finish()
      return w.u8(1).prefixed(16, utf8Bytes(f.delta.baseName)).u64(f.delta.targetSize).raw(f.delta.targetHash).finish()
    }
    case 'accept': return writeHeader('accept', f.id).u32(f.chunkSize).u32(f.verified.byteLength).raw(f.verified).finish()
    case 'reject': return writeHeader('reject', f.id).prefixed(16, utf8Bytes(f.reason.slice(0, MAX_REASON_BYTES / 4))).finish()
    case 'join': return writeHeader('join', f.id).finish()
    case 'ack': return writeHeader('ack', f.id).u32(f.index).finish()
    case 'nack': return writeHeader('nack', f.id).u32(f.index).prefixed(16, utf8Bytes(f.reason.slice(0, MAX_REASON_BYTES / 4))).finish()
    case 'complete': return writeHeader('complete', f.id).finish()
    case 'result': return writeHeader('result', f.id).u8(f.ok ? 1 : 0).raw(f.hash).prefixed(16, utf8Bytes(f.reason.slice(0, MAX_REASON_BYTES / 4))).finish()
    case 'sig-request': return writeHeader('sig-request', f.id).prefixed(16, utf8Bytes(f.baseName)).u32(f.params.minSize).u32(f.params.avgSize).u32(f.params.maxSize).finish()
    case 'signature': return writeHeader('signature', f.id).u8(f.found ? 1 : 0).u32(f.params.minSize).u32(f.params.avgSize)
      .u32(f.params.maxSize).u32(f.hashes.byteLength / SIGNATURE_HASH_BYTES).raw(f.hashes).finish()
  }
}

function copy (b: Uint8Array): Uint8Array {
  return new Uint8Array(b)
}

function decodeBody (r: ByteReader, type: FrameType, id: string, limits: WireLimits): Frame {
  switch (type) {
    case 'chunk': {
      const index = r.u32('chunk index')
      if (index >= limits.maxChunks) throw new DecodeError(`chunk index ${index} beyond the limit of ${limits.maxChunks} chunks`)
      const codec = CODEC_BY_ID.get(r.u8('codec'))
      if (codec === undefined) throw new DecodeError('unknown codec')
      const rawLength = r.u32('raw length')
      const encodedLength = r.u32('encoded length')
      if (rawLength > limits.maxChunkSize) throw new DecodeError(`raw length ${rawLength} exceeds the chunk limit ${limits.maxChunkSize}`)
      // Senders fall back to `none` whenever a codec does not shrink a chunk, so a larger payload is a lie.
      if (encodedLength > rawLength) throw new DecodeError(`encoded length ${encodedLength} exceeds raw length ${rawLength}`)
      if (codec === 'none' && encodedLength !== rawLength) throw new DecodeError('uncompressed chunk with encoded length != raw length')
      const hash = r.raw(HASH_BYTES, 'chunk hash')
      const payload = r.raw(encodedLength, 'chunk payload')
      r.end('chunk')
      return { type, id, index, codec, rawLength, hash, payload }
    }
    case 'offer': {
      const name = readString(r, limits.maxNameBytes, 'file name')
      const size = r.u64('file size')
      const chunkSize = r.u32('chunk size')
      const fileHash = copy(r.raw(HASH_BYTES, 'file hash'))
      const hasDelta = r.u8('delta flag')
      let delta: DeltaTarget | null = null
      if (hasDelta === 1) {
        delta = { baseName: readString(r, limits.maxNameBytes, 'base name'), targetSize: r.u64('target size'), targetHash: copy(r.raw(HASH_BYTES, 'target hash')) }
      } else if (hasDelta !== 0) {
        throw new DecodeError('bad delta flag')
      }
      r.end('offer')
      return { type, id, name, size, chunkSize, fileHash, delta }
    }
    case 'accept': {
      const chunkSize = r.u32('chunk size')
      const len = r.u32('bitmap length')
      if (len > Math.ceil(limits.maxChunks / 8)) throw new DecodeError(`bitmap of ${len} bytes beyond the limit`)
      const verified = copy(r.raw(len, 'bitmap'))
      r.end('accept')
      return { type, id, chunkSize, verified }
    }
    case 'reject': {
      const reason = readString(r, MAX_REASON_BYTES, 'reason')
      r.end('reject')
      return { type, id, reason }
    }
    case 'join':
    case 'complete':
      r.end(type)
      return { type, id }
    case 'ack': {
      const index = r.u32('index')
      r.end('ack')
      return { type, id, index }
    }
    case 'nack': {
      const index = r.u32('index')
      const reason = readString(r, MAX_REASON_BYTES, 'reason')
      r.end('nack')
      return { type, id, index, reason }
    }
    case 'result': {
      const okFlag = r.u8('result flag')
      const hash = copy(r.raw(HASH_BYTES, 'hash'))
      const reason = readString(r, MAX_REASON_BYTES, 'reason')
      r.end('result')
      return { type, id, ok: okFlag === 1, hash, reason }
    }
    case 'sig-request': {
      const baseName = readString(r, limits.maxNameBytes, 'base name')
      const params = { minSize: r.u32('min size'), avgSize: r.u32('avg size'), maxSize: r.u32('max size') }
      r.end('sig-request')
      return { type, id, baseName, params }
    }
    case 'signature': {
      const found = r.u8('found flag') === 1
      const params = { minSize: r.u32('min size'), avgSize: r.u32('avg size'), maxSize: r.u32('max size') }
      const count = r.u32('entry count')
      if (count > limits.maxSignatureEntries) throw new DecodeError(`signature of ${count} entries beyond the limit`)
      const hashes = copy(r.raw(count * SIGNATURE_HASH_BYTES, 'signature hashes'))
      r.end('signature')
      return { type, id, found, params, hashes }
    }
  }
}

/** Decodes one frame from an untrusted peer; never throws. Chunk payloads are views into `bytes`. */
export function decodeFrame (bytes: Uint8Array, limits: WireLimits): Result<Frame> {
  if (bytes.byteLength > maxFrameBytes(limits)) return fail(`frame of ${bytes.byteLength} bytes exceeds the limit`)
  try {
    const r = new ByteReader(bytes)
    const version = r.u8('version')
    if (version !== WIRE_VERSION) return fail(`unsupported wire version ${version}`)
    const type = TYPE_BY_ID.get(r.u8('frame type'))
    if (type === undefined) return fail('unknown frame type')
    const id = Buffer.from(r.raw(TRANSFER_ID_BYTES, 'transfer id')).toString('hex')
    return ok(decodeBody(r, type, id, limits))
  } catch (e) {
    if (e instanceof DecodeError) return fail(e.message)
    return fail(`malformed frame: ${String(e)}`)
  }
}
