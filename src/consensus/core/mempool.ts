// A bounded, insertion-ordered pool of transactions waiting to be ordered. A full pool refuses new work
// with a reason the API can show, rather than growing without bound.
import { DEFAULT_MEMPOOL_MAX_BYTES, DEFAULT_MEMPOOL_MAX_TXS, MAX_TX_BYTES } from './limits.ts'
import { txBatchBytes, txKey } from './batch.ts'
import type { Tx } from './batch.ts'

export interface MempoolLimits {
  readonly maxTxs: number
  readonly maxBytes: number
  readonly maxTxBytes: number
}

export const DEFAULT_MEMPOOL_LIMITS: MempoolLimits = {
  maxTxs: DEFAULT_MEMPOOL_MAX_TXS,
  maxBytes: DEFAULT_MEMPOOL_MAX_BYTES,
  maxTxBytes: MAX_TX_BYTES
}

export type MempoolRefusal = 'empty' | 'too-large' | 'duplicate' | 'full'

export type AddResult =
  | { readonly ok: true, readonly key: string }
  | { readonly ok: false, readonly reason: MempoolRefusal, readonly error: string, readonly key?: string }

export class Mempool {
  readonly limits: MempoolLimits
  readonly #txs = new Map<string, Tx>()
  #bytes = 0

  constructor (limits: Partial<MempoolLimits> = {}) {
    this.limits = { ...DEFAULT_MEMPOOL_LIMITS, ...limits }
  }

  get size (): number { return this.#txs.size }
  get bytes (): number { return this.#bytes }

  add (tx: Tx): AddResult {
    if (tx.byteLength === 0) return { ok: false, reason: 'empty', error: 'transaction is empty' }
    if (tx.byteLength > this.limits.maxTxBytes) {
      return { ok: false, reason: 'too-large', error: `transaction of ${tx.byteLength} bytes exceeds the limit of ${this.limits.maxTxBytes} bytes` }
    }
    const key = txKey(tx)
    if (this.#txs.has(key)) return { ok: false, reason: 'duplicate', error: `transaction ${key} is already pending`, key }
    if (this.#txs.size >= this.limits.maxTxs || this.#bytes + tx.byteLength > this.limits.maxBytes) {
      return { ok: false, reason: 'full', error: `mempool is full (${this.#txs.size} transactions, ${this.#bytes} bytes); retry later`, key }
    }
    this.#txs.set(key, tx)
    this.#bytes += tx.byteLength
    return { ok: true, key }
  }

  has (key: string): boolean { return this.#txs.has(key) }

  get (key: string): Tx | undefined { return this.#txs.get(key) }

  delete (key: string): boolean {
    const tx = this.#txs.get(key)
    if (tx === undefined) return false
    this.#txs.delete(key)
    this.#bytes -= tx.byteLength
    return true
  }

  clear (): void {
    this.#txs.clear()
    this.#bytes = 0
  }

  /** Oldest first, at most `max`, skipping keys `skip` says to, and stopping before the encoded list would
   *  pass `maxBytes` (see batchBytes: MAX_BATCH_BYTES for a batch or proposal). */
  take (max: number, skip: (key: string) => boolean = () => false, maxBytes = Infinity): Tx[] {
    const out: Tx[] = []
    let bytes = 4
    for (const [key, tx] of this.#txs) {
      if (out.length >= max) break
      if (skip(key)) continue
      bytes += txBatchBytes(tx)
      if (bytes > maxBytes) break
      out.push(tx)
    }
    return out
  }

  keys (): IterableIterator<string> { return this.#txs.keys() }
}
