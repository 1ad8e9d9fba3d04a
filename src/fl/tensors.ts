// Model weights on the wire: a versioned list of named float32 tensors, one binary codec for every FL
// message, compressed with a DWCP codec and hash-checked. Sizes are bounded before anything is allocated,
// and decoding returns a Result: bytes from a peer never throw past the caller.
import { createHash } from 'node:crypto'
import { createCodec, isCodecName } from '../dwcp/codecs/registry.ts'
import { decodePayload } from '../dwcp/codecs/decode.ts'
import type { CodecName } from '../dwcp/codecs/codec.ts'
import { fail, ok, type Result } from '../dwcp/result.ts'

export interface Tensor { name: string, dims: number[], data: Float32Array }

export const MAGIC = 0x4e43_4657 // "NCFW"
export const FORMAT_VERSION = 1
export const MAX_TENSORS = 64
export const MAX_NAME_BYTES = 64
export const MAX_RANK = 4
/** 1 Mi float32 values (4 MiB): the forecaster has 1,169 per head. */
export const MAX_ELEMENTS = 1 << 20

const CODEC_IDS: readonly CodecName[] = ['none', 'zstd', 'lz4', 'snappy']
const HEADER_BYTES = 4 + 1 + 1 + 2 // magic, format version, codec, tensor count
const HASH_BYTES = 32

export const elements = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1)

/** Tensors -> bytes. Throws only on our own bad input (too many, too large, a name too long). */
export async function encodeTensors (tensors: readonly Tensor[], codec: CodecName = 'zstd'): Promise<Uint8Array> {
  if (tensors.length > MAX_TENSORS) throw new RangeError(`at most ${MAX_TENSORS} tensors`)
  const names = tensors.map(t => Buffer.from(t.name, 'utf8'))
  let total = 0
  tensors.forEach((t, i) => {
    if (names[i].byteLength === 0 || names[i].byteLength > MAX_NAME_BYTES) throw new RangeError(`tensor name must be 1..${MAX_NAME_BYTES} bytes`)
    if (t.dims.length > MAX_RANK || t.dims.some(d => !Number.isInteger(d) || d < 0)) throw new RangeError(`tensor ${t.name}: bad dims`)
    if (elements(t.dims) !== t.data.length) throw new RangeError(`tensor ${t.name}: ${t.data.length} values for dims [${t.dims.join(',')}]`)
    total += t.data.length
  })
  if (total > MAX_ELEMENTS) throw new RangeError(`at most ${MAX_ELEMENTS} values`)
  const raw = Buffer.alloc(total * 4)
  let off = 0
  for (const t of tensors) for (const v of t.data) { raw.writeFloatLE(v, off); off += 4 }
  const payload = await createCodec(codec).encode(raw)
  const dirBytes = tensors.reduce((a, t, i) => a + 1 + names[i].byteLength + 1 + 4 * t.dims.length, 0)
  const out = Buffer.alloc(HEADER_BYTES + dirBytes + 4 + HASH_BYTES + payload.byteLength)
  let p = 0
  p = out.writeUInt32BE(MAGIC, p)
  p = out.writeUInt8(FORMAT_VERSION, p)
  p = out.writeUInt8(CODEC_IDS.indexOf(codec), p)
  p = out.writeUInt16BE(tensors.length, p)
  tensors.forEach((t, i) => {
    p = out.writeUInt8(names[i].byteLength, p)
    p += names[i].copy(out, p)
    p = out.writeUInt8(t.dims.length, p)
    for (const d of t.dims) p = out.writeUInt32BE(d, p)
  })
  p = out.writeUInt32BE(raw.byteLength, p)
  p += createHash('sha256').update(raw).digest().copy(out, p)
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(out, p)
  return out
}

/** Bytes -> tensors, or why not. Never throws. */
export async function decodeTensors (bytes: Uint8Array): Promise<Result<Tensor[]>> {
  try {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (buf.byteLength < HEADER_BYTES) return fail('tensors: truncated header')
    if (buf.readUInt32BE(0) !== MAGIC) return fail('tensors: bad magic')
    if (buf.readUInt8(4) !== FORMAT_VERSION) return fail(`tensors: unsupported format version ${buf.readUInt8(4)}`)
    const codec = CODEC_IDS[buf.readUInt8(5)]
    if (codec === undefined || !isCodecName(codec)) return fail('tensors: unknown codec')
    const count = buf.readUInt16BE(6)
    if (count > MAX_TENSORS) return fail(`tensors: ${count} tensors, at most ${MAX_TENSORS}`)
    let p = HEADER_BYTES
    const need = (n: number): boolean => p + n <= buf.byteLength
    const dir: Array<{ name: string, dims: number[] }> = []
    let total = 0
    for (let i = 0; i < count; i++) {
      if (!need(1)) return fail('tensors: truncated directory')
      const len = buf.readUInt8(p++)
      if (len === 0 || len > MAX_NAME_BYTES || !need(len + 1)) return fail('tensors: bad tensor name')
      const name = buf.toString('utf8', p, p + len)
      p += len
      const rank = buf.readUInt8(p++)
      if (rank > MAX_RANK || !need(4 * rank)) return fail('tensors: bad rank')
      const dims: number[] = []
      for (let r = 0; r < rank; r++) { dims.push(buf.readUInt32BE(p)); p += 4 }
      const n = dims.reduce((a, d) => a * d, 1)
      total += n
      if (n > MAX_ELEMENTS || total > MAX_ELEMENTS) return fail(`tensors: more than ${MAX_ELEMENTS} values`)
      dir.push({ name, dims })
    }
    if (!need(4 + HASH_BYTES)) return fail('tensors: truncated payload header')
    const rawLength = buf.readUInt32BE(p)
    p += 4
    if (rawLength !== total * 4) return fail(`tensors: payload of ${rawLength} bytes for ${total} values`)
    const hash = buf.subarray(p, p + HASH_BYTES)
    p += HASH_BYTES
    const raw = await decodePayload(codec, buf.subarray(p), rawLength, hash)
    if (!raw.ok) return fail(`tensors: ${raw.error}`)
    const rb = Buffer.from(raw.value.buffer, raw.value.byteOffset, raw.value.byteLength)
    let off = 0
    const out: Tensor[] = dir.map(d => {
      const data = new Float32Array(elements(d.dims))
      for (let k = 0; k < data.length; k++) { data[k] = rb.readFloatLE(off); off += 4 }
      return { name: d.name, dims: d.dims, data }
    })
    if (out.some(t => t.data.some(v => !Number.isFinite(v)))) return fail('tensors: a value is not finite')
    return ok(out)
  } catch (err) {
    return fail(`tensors: ${(err as Error).message}`)
  }
}
