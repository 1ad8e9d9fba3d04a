// Parameter checks every protocol applies: a batch count its codec can carry. Each names the limit it
// enforces, so an operator sees why a genesis is refused. A batch's bytes need no parameter check: proposers
// seal below MAX_BATCH_BYTES and receivers refuse more (core/batch.ts), so its record always fits the WAL.
import { MAX_BATCH_TXS } from './limits.ts'
import { ParamError } from './module.ts'

export function checkBatchSize (batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ParamError(`batchSize must be a positive integer, got ${batchSize}`)
  if (batchSize > MAX_BATCH_TXS) throw new ParamError(`batchSize ${batchSize} exceeds the ${MAX_BATCH_TXS} transactions a batch message can carry (MAX_BATCH_TXS)`)
}

export function checkPositive (params: object, keys: readonly string[]): void {
  for (const key of keys) {
    const v = (params as Record<string, unknown>)[key]
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ParamError(`${key} must be a positive integer, got ${JSON.stringify(v)}`)
  }
}
