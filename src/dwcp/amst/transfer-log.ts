// Recent transfers in both directions, for `transfer list` and `transfer status ID`.
import type { TransferSummary } from './types.ts'

export interface TransferRecord {
  id: string
  direction: 'send' | 'receive'
  peer: string
  /** The sender's path, or the name at the receiver. */
  file: string
  state: 'running' | 'done' | 'failed'
  rawBytes: number
  doneBytes: number
  startedAt: number
  endedAt: number | null
  error: string | null
  /** The send summary once done (send side only). */
  summary: TransferSummary | null
}

export class TransferLog {
  private readonly records = new Map<string, TransferRecord>()
  private readonly keep: number

  constructor (keep = 100) {
    this.keep = keep
  }

  start (r: Pick<TransferRecord, 'id' | 'direction' | 'peer' | 'file' | 'rawBytes'>, now = Date.now()): void {
    this.records.delete(r.id)
    this.records.set(r.id, { ...r, state: 'running', doneBytes: 0, startedAt: now, endedAt: null, error: null, summary: null })
    // Oldest finished records go first; running ones are never dropped.
    for (const [id, rec] of this.records) {
      if (this.records.size <= this.keep) break
      if (rec.state !== 'running') this.records.delete(id)
    }
  }

  update (id: string, patch: Partial<TransferRecord>): void {
    const r = this.records.get(id)
    if (r !== undefined) this.records.set(id, { ...r, ...patch })
  }

  finish (id: string, outcome: { error: string } | { summary: TransferSummary | null, rawBytes?: number }, now = Date.now()): void {
    const r = this.records.get(id)
    if (r === undefined) return
    if ('error' in outcome) {
      this.records.set(id, { ...r, state: 'failed', error: outcome.error, endedAt: now })
    } else {
      const rawBytes = outcome.summary?.rawBytes ?? outcome.rawBytes ?? r.rawBytes
      this.records.set(id, { ...r, state: 'done', summary: outcome.summary, rawBytes, doneBytes: rawBytes, endedAt: now })
    }
  }

  get (id: string): TransferRecord | null {
    return this.records.get(id) ?? null
  }

  list (): TransferRecord[] {
    return [...this.records.values()].reverse()
  }
}
