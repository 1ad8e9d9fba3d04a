// Shared by the state tests: throwaway database paths and a reference replay of a stored log.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import type { Storage } from '../../../src/state/storage/storage.ts'

/** A fresh directory removed when the test ends; returns the database path inside it. */
export function tempDbPath (t: TestContext, name = 'state.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'novacron-state-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, name)
}

/** Replays every stored batch on a fresh in-memory machine; fails if any stored root differs. */
export function replayLog (storage: Storage): MemoryBackend {
  const be = new MemoryBackend()
  const sm = new StateMachine(be)
  const top = storage.head().height
  for (let h = 1; h <= top; h++) {
    const b = storage.getBatch(h)
    if (b === null) throw new Error(`log has no batch at height ${h}`)
    const out = sm.applyBatch({ height: h, txs: b.txs, batchId: b.batchId, committedAt: b.committedAt })
    if (!Buffer.from(out.stateRoot).equals(b.stateRoot)) throw new Error(`replayed root differs at height ${h}`)
  }
  return be
}
