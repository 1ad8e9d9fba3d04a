// Splits by a group key (node, file, trace, configuration), never by sample: a group lands wholly in one
// part, decided by a hash of its name so the split is stable across runs and machines.
import { hashString } from '../train/random.ts'

export type Part = 'train' | 'valid' | 'test'

/** 70% train, 10% validation (early stopping), 20% test. */
export function partOf (group: string, salt = ''): Part {
  const h = hashString(salt + group) % 10
  return h < 7 ? 'train' : h < 8 ? 'valid' : 'test'
}
