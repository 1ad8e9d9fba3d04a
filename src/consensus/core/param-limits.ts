// Parameter checks every protocol applies: a batch its codec can carry, and whose record fits in one WAL
// record. Each names the limit it enforces, so an operator sees why a genesis is refused.
import { MAX_BATCH_TXS, MAX_TX_BYTES, MAX_WAL_RECORD_BYTES, RECORD_HEADROOM_BYTES, TX_ENCODING_OVERHEAD } from './limits.ts'
import { ParamError } from './module.ts'

/** Most transactions per batch whose worst case (every one MAX_TX_BYTES) still fits in one WAL record. */
export const MAX_BATCH_TXS_FOR_WAL = Math.floor((MAX_WAL_RECORD_BYTES - RECORD_HEADROOM_BYTES) / (MAX_TX_BYTES + TX_ENCODING_OVERHEAD))

export function checkBatchSize (batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ParamError(`batchSize must be a positive integer, got ${batchSize}`)
  if (batchSize > MAX_BATCH_TXS) throw new ParamError(`batchSize ${batchSize} exceeds the ${MAX_BATCH_TXS} transactions a batch message can carry (MAX_BATCH_TXS)`)
  if (batchSize > MAX_BATCH_TXS_FOR_WAL) {
    throw new ParamError(`batchSize ${batchSize}: a batch of ${batchSize} transactions of up to ${MAX_TX_BYTES} bytes does not fit in one WAL record ` +
      `(MAX_WAL_RECORD_BYTES = ${MAX_WAL_RECORD_BYTES}); at most ${MAX_BATCH_TXS_FOR_WAL}`)
  }
}

export function checkPositive (params: object, keys: readonly string[]): void {
  for (const key of keys) {
    const v = (params as Record<string, unknown>)[key]
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ParamError(`${key} must be a positive integer, got ${JSON.stringify(v)}`)
  }
}
