// How a committed batch's lists are packed into log columns. Only failed results are stored (as
// index + message); the rest were ok.
import { decodeWith, Writer } from '../bytes.ts'
import { MAX_TX_BYTES } from '../limits.ts'
import type { TxResult } from '../backend.ts'

const ID_BYTES = 32

export function packIds (ids: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ids.length * ID_BYTES)
  ids.forEach((id, i) => out.set(id, i * ID_BYTES))
  return out
}

export function unpackIds (b: Uint8Array): Uint8Array[] {
  const ids: Uint8Array[] = []
  for (let o = 0; o + ID_BYTES <= b.length; o += ID_BYTES) ids.push(b.slice(o, o + ID_BYTES))
  return ids
}

export function packTxs (txs: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(txs.reduce((n, t) => n + t.length + 4, 4)).u32(txs.length)
  for (const t of txs) w.bytes32(t)
  return w.finish()
}

export function unpackTxs (b: Uint8Array): Uint8Array[] {
  const r = decodeWith(b, (rd) => {
    const n = rd.u32('tx count')
    const out: Uint8Array[] = []
    for (let i = 0; i < n; i++) out.push(rd.bytes(32, MAX_TX_BYTES, 'tx').slice())
    rd.end('tx list')
    return out
  })
  if (!r.ok) throw new Error(`corrupt log row: ${r.error}`)
  return r.value
}

export function packErrors (results: readonly TxResult[]): Uint8Array {
  const w = new Writer(16)
  results.forEach((r, i) => { if (!r.ok) w.u32(i).bytes32(Buffer.from(r.error)) })
  return w.finish()
}

export function unpackResults (b: Uint8Array, count: number): TxResult[] {
  const results: TxResult[] = Array.from({ length: count }, () => ({ ok: true }))
  const r = decodeWith(b, (rd) => {
    while (rd.remaining > 0) {
      const i = rd.u32('index')
      results[i] = { ok: false, error: Buffer.from(rd.bytes(32, MAX_TX_BYTES, 'error')).toString('utf8') }
    }
  })
  if (!r.ok) throw new Error(`corrupt log row: ${r.error}`)
  return results
}
