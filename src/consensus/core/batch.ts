// Transactions are opaque bytes; consensus orders them in batches. Ids are content hashes, so the same
// transaction submitted twice has one id and is deduplicated.
import { HASH_BYTES, sha256, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'

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
  const ids = new Uint8Array(txs.length * HASH_BYTES)
  txs.forEach((tx, i) => ids.set(txId(tx), i * HASH_BYTES))
  return { txs, id: sha256(ids) }
}

/** The null batch a new primary uses to fill sequence numbers nobody prepared. */
export const EMPTY_BATCH: Batch = makeBatch([])
