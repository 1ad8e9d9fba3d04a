// An in-memory StateBackend for the simulator and tests: same apply code and roots as a node's Storage,
// nothing durable.
import { LtHash } from './lthash.ts'
import type { TableId } from './records.ts'
import { entryId } from './backend.ts'
import type { CommittedBatch, Head, StateBackend, StateEntry } from './backend.ts'

export class MemoryBackend implements StateBackend {
  private state = new Map<string, StateEntry>()
  private current: Head
  /** every committed batch, for tests and the simulator's checkers */
  readonly log: CommittedBatch[] = []

  constructor () {
    const empty = new LtHash()
    this.current = { height: 0, stateRoot: empty.root(), vector: empty.bytes() }
  }

  head (): Head {
    return this.current
  }

  readState (table: TableId, key: Uint8Array): Uint8Array | undefined {
    return this.state.get(entryId(table, key))?.value
  }

  commitBatch (batch: CommittedBatch): void {
    for (const w of batch.writes) {
      const id = entryId(w.table, w.key)
      if (w.value === null) this.state.delete(id)
      else this.state.set(id, { table: w.table, key: w.key, value: w.value })
    }
    this.current = { height: batch.height, stateRoot: batch.stateRoot, vector: batch.vector }
    this.log.push(batch)
  }

  entries (): Iterable<StateEntry> {
    return [...this.state.values()].sort((a, b) => a.table !== b.table ? a.table - b.table : Buffer.compare(a.key, b.key))
  }

  replaceState (head: Head, entries: readonly StateEntry[]): void {
    this.state = new Map(entries.map((e) => [entryId(e.table, e.key), e]))
    this.current = head
  }
}
