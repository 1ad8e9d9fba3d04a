// Transactions are opaque bytes; consensus orders them in batches. Ids are content hashes, so the same
// transaction submitted twice has one id and is deduplicated.
import { HASH_BYTES, sha256, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { MAX_BATCH_BYTES, MAX_TX_BYTES } from './limits.ts'

export type Tx = Uint8Array

export interface Batch {
  readonly txs: readonly Tx[]
  /** sha256 over the concatenated tx ids: commits to content and order. */
  readonly id: Hash
}

const txIds = new WeakMap<Tx, Hash>()

/** sha256(tx), cached per array because a tx is hashed on submit, relay, proposal and execution. */
export function txId (tx: Tx): Hash {
  let id = txIds.get(tx)
  if (id === undefined) {
    id = sha256(tx)
    txIds.set(tx, id)
  }
  return id
}

export const txKey = (tx: Tx): string => toHex(txId(tx))

export function makeBatch (txs: readonly Tx[]): Batch {
  return { txs, id: idsDigest(txs.map(txId)) }
}

/** A batch's id from its transactions' ids, in order (what a proposal naming them by id is checked against). */
export function idsDigest (ids: readonly Hash[]): Hash {
  const all = new Uint8Array(ids.length * HASH_BYTES)
  ids.forEach((id, i) => all.set(id, i * HASH_BYTES))
  return sha256(all)
}

/** Encoded size of a transaction list (u32 count, then each transaction u32-prefixed): what the byte
 *  budget MAX_BATCH_BYTES bounds in every batch, pre-prepare and relay. */
export function batchBytes (txs: readonly Tx[]): number {
  let n = 4
  for (const tx of txs) n += 4 + tx.byteLength
  return n
}

/** Bytes one more transaction adds to a batch. */
export const txBatchBytes = (tx: Tx): number => 4 + tx.byteLength

/** Whether a batch a proposer took should go out now: `maxTxs` reached, or too close to the byte budget for
 *  a largest transaction to fit. */
export function batchFull (txs: readonly Tx[], maxTxs: number): boolean {
  return txs.length >= maxTxs || batchBytes(txs) > MAX_BATCH_BYTES - (4 + MAX_TX_BYTES)
}

/** What a receiver checks before accepting a batch or a proposal: over the budget is invalid. */
export const overBatchBudget = (txs: readonly Tx[]): boolean => batchBytes(txs) > MAX_BATCH_BYTES

/** Splits a list in order into runs that each fit the byte budget (a relay of many large transactions). */
export function splitByBatchBudget (txs: readonly Tx[]): Tx[][] {
  const out: Tx[][] = [[]]
  let bytes = 4
  for (const tx of txs) {
    if (bytes + txBatchBytes(tx) > MAX_BATCH_BYTES && out[out.length - 1].length > 0) {
      out.push([])
      bytes = 4
    }
    out[out.length - 1].push(tx)
    bytes += txBatchBytes(tx)
  }
  return out
}

/** The null batch a new primary uses to fill sequence numbers nobody prepared. */
export const EMPTY_BATCH: Batch = makeBatch([])

/** Leading bytes of a consensus-metadata transaction: one a protocol itself puts in a batch (T-PBFT's
 *  trust evidence), not a client's. It is ordered and hashed with the batch like any transaction, but the
 *  state machine, the simulator's checkers and commit receipts leave it out. Client transactions reach the
 *  batch in the signed envelope (src/state/signed-tx.ts), so they never start with these bytes. */
export const META_TX_TAG: Uint8Array = new TextEncoder().encode('novacron/consensus-meta\0')

export function isMetaTx (tx: Tx): boolean {
  if (tx.byteLength < META_TX_TAG.byteLength) return false
  for (let i = 0; i < META_TX_TAG.byteLength; i++) if (tx[i] !== META_TX_TAG[i]) return false
  return true
}
