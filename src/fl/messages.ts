// The FL round protocol's messages: a fixed binary header per type and, where a model travels, the
// tensor codec. Nothing else fits: there is no field a sample, a trace name or free text could ride in
// (a refusal's reason is bounded and only ever written by the node itself).
import { fail, ok, type Result } from '../dwcp/result.ts'
import { decodeTensors, encodeTensors, type Tensor } from './tensors.ts'
import type { CodecName } from '../dwcp/codecs/codec.ts'

export const FL_PROTOCOL_ID = '/novacron/fl/1.0.0'
const MAGIC = 0x4e43_464c // "NCFL"
const VERSION = 1
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024
const MAX_REASON_BYTES = 200

export type FlMessage =
  | { type: 'train', round: number, modelVersion: number, deadlineMs: number, localSteps: number, tensors: Tensor[] }
  | { type: 'update', round: number, samples: number, loss: number, durationMs: number, tensors: Tensor[] }
  | { type: 'publish', round: number, modelVersion: number, sha256: string, tensors: Tensor[] }
  | { type: 'verdict', modelVersion: number, accepted: boolean, newLoss: number, currentLoss: number }
  | { type: 'start', rounds: number, policy: number, deadlineMs: number }
  | { type: 'started', accepted: boolean }
  | { type: 'refuse', reason: string }

export type FlMessageType = FlMessage['type']
const TYPES: readonly FlMessageType[] = ['train', 'update', 'publish', 'verdict', 'start', 'started', 'refuse']
/** Bytes of each type's fixed fields after the 6-byte header. */
const FIXED: Record<FlMessageType, number> = { train: 14, update: 16, publish: 40, verdict: 13, start: 7, started: 1, refuse: 2 }

export async function encodeMessage (m: FlMessage, codec: CodecName = 'zstd'): Promise<Uint8Array> {
  const head = Buffer.alloc(6 + FIXED[m.type])
  head.writeUInt32BE(MAGIC, 0)
  head.writeUInt8(VERSION, 4)
  head.writeUInt8(TYPES.indexOf(m.type), 5)
  let tail: Uint8Array = new Uint8Array(0)
  const b = head
  switch (m.type) {
    case 'train': b.writeUInt32BE(m.round, 6); b.writeUInt32BE(m.modelVersion, 10); b.writeUInt32BE(m.deadlineMs, 14); b.writeUInt16BE(m.localSteps, 18); tail = await encodeTensors(m.tensors, codec); break
    case 'update': b.writeUInt32BE(m.round, 6); b.writeUInt32BE(m.samples, 10); b.writeFloatBE(m.loss, 14); b.writeUInt32BE(m.durationMs, 18); tail = await encodeTensors(m.tensors, codec); break
    case 'publish': b.writeUInt32BE(m.round, 6); b.writeUInt32BE(m.modelVersion, 10); Buffer.from(m.sha256, 'hex').copy(b, 14, 0, 32); tail = await encodeTensors(m.tensors, codec); break
    case 'verdict': b.writeUInt32BE(m.modelVersion, 6); b.writeUInt8(m.accepted ? 1 : 0, 10); b.writeFloatBE(m.newLoss, 11); b.writeFloatBE(m.currentLoss, 15); break
    case 'start': b.writeUInt16BE(m.rounds, 6); b.writeUInt8(m.policy, 8); b.writeUInt32BE(m.deadlineMs, 9); break
    case 'started': b.writeUInt8(m.accepted ? 1 : 0, 6); break
    case 'refuse': {
      const r = Buffer.from(m.reason, 'utf8').subarray(0, MAX_REASON_BYTES)
      b.writeUInt16BE(r.byteLength, 6)
      tail = r
      break
    }
  }
  return Buffer.concat([head, tail])
}

/** Never throws: a peer's bytes become a message or a reason. */
export async function decodeMessage (bytes: Uint8Array): Promise<Result<FlMessage>> {
  try {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (b.byteLength > MAX_MESSAGE_BYTES) return fail('fl: message too large')
    if (b.byteLength < 6 || b.readUInt32BE(0) !== MAGIC) return fail('fl: not an FL message')
    if (b.readUInt8(4) !== VERSION) return fail(`fl: unsupported version ${b.readUInt8(4)}`)
    const type = TYPES[b.readUInt8(5)]
    if (type === undefined) return fail('fl: unknown message type')
    if (b.byteLength < 6 + FIXED[type]) return fail(`fl: truncated ${type}`)
    const rest = b.subarray(6 + FIXED[type])
    const tensors = async (): Promise<Result<Tensor[]>> => await decodeTensors(rest)
    const noTail = (): boolean => rest.byteLength === 0
    switch (type) {
      case 'train': {
        const t = await tensors()
        return t.ok ? ok({ type, round: b.readUInt32BE(6), modelVersion: b.readUInt32BE(10), deadlineMs: b.readUInt32BE(14), localSteps: b.readUInt16BE(18), tensors: t.value }) : t
      }
      case 'update': {
        const t = await tensors()
        const loss = b.readFloatBE(14)
        if (!Number.isFinite(loss)) return fail('fl: update loss is not finite')
        return t.ok ? ok({ type, round: b.readUInt32BE(6), samples: b.readUInt32BE(10), loss, durationMs: b.readUInt32BE(18), tensors: t.value }) : t
      }
      case 'publish': {
        const t = await tensors()
        return t.ok ? ok({ type, round: b.readUInt32BE(6), modelVersion: b.readUInt32BE(10), sha256: b.toString('hex', 14, 46), tensors: t.value }) : t
      }
      case 'verdict':
        if (!noTail()) return fail('fl: trailing bytes')
        return ok({ type, modelVersion: b.readUInt32BE(6), accepted: b.readUInt8(10) === 1, newLoss: b.readFloatBE(11), currentLoss: b.readFloatBE(15) })
      case 'start':
        if (!noTail()) return fail('fl: trailing bytes')
        return ok({ type, rounds: b.readUInt16BE(6), policy: b.readUInt8(8), deadlineMs: b.readUInt32BE(9) })
      case 'started':
        if (!noTail()) return fail('fl: trailing bytes')
        return ok({ type, accepted: b.readUInt8(6) === 1 })
      case 'refuse': {
        const n = b.readUInt16BE(6)
        if (n > MAX_REASON_BYTES || rest.byteLength !== n) return fail('fl: bad refusal')
        return ok({ type, reason: rest.toString('utf8') })
      }
    }
  } catch (err) {
    return fail(`fl: ${(err as Error).message}`)
  }
}
