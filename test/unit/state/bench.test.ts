// A micro benchmark, printed and not asserted: how much of a core applying and committing small puts
// costs (overwrites change the value, so each costs two LtHash expansions). The target is 20,000 puts/s for well under 20% of one core, i.e. under 10 µs of CPU per put.
// The replay window's share is printed on its own (the whole-apply rows vary by more than it on a shared host).
import { test } from 'node:test'
import { hash } from 'node:crypto'
import { Storage } from '../../../src/state/storage/storage.ts'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import type { StateBackend } from '../../../src/state/backend.ts'
import { kvPutTx } from '../../../src/state/tx.ts'
import { LtHash } from '../../../src/state/lthash.ts'
import { TABLE } from '../../../src/state/records.ts'
import { packReplayRows, ReplayIndex, replayKey } from '../../../src/state/replay.ts'
import { tempDbPath } from './helpers.ts'

const BATCH = 500
const BATCHES = 30
const value = 'v'.repeat(100)

function run (backend: StateBackend, keyOf: (b: number, i: number) => string, valueOf = (_b: number): string => value, replayWindow?: number): { putsPerS: number, cpuUsPerPut: number } {
  const sm = new StateMachine(backend, { replayWindow })
  const input = Array.from({ length: BATCHES }, (_, b) => Array.from({ length: BATCH }, (_, i) => kvPutTx(keyOf(b, i), valueOf(b))))
  const start = backend.head().height
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  input.forEach((txs, b) => sm.applyBatch({ height: start + b + 1, txs }))
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const n = BATCH * BATCHES
  return { putsPerS: Math.round(n / (wallMs / 1000)), cpuUsPerPut: Number(((cpu.user + cpu.system) / n).toFixed(1)) }
}

test('benchmark: apply and commit throughput of small puts (printed)', (t) => {
  const rows: Record<string, unknown>[] = []
  run(new MemoryBackend(), (b, i) => `warm${b}-${i}`) // let the JIT settle first
  rows.push({ backend: 'memory', keys: 'new', ...run(new MemoryBackend(), (b, i) => `k${b}-${i}`) })
  rows.push({ backend: 'memory, replay window 8 (rows expire every batch)', keys: 'new', ...run(new MemoryBackend(), (b, i) => `k${b}-${i}`, undefined, 8) })
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  rows.push({ backend: 'sqlite (fsync per batch)', keys: 'new', ...run(s, (b, i) => `k${b}-${i}`) })
  rows.push({ backend: 'sqlite (fsync per batch)', keys: 'overwrite', ...run(s, (b, i) => `k${(b + 7) % BATCHES}-${i}`, (b) => `${value}${b}`) })
  for (const r of rows) {
    const pct = (Number(r.cpuUsPerPut) * 20_000 / 1e6 * 100).toFixed(0)
    t.diagnostic(`${r.backend}, ${r.keys} keys, batches of ${BATCH}: ${r.putsPerS} puts/s, ${r.cpuUsPerPut} µs CPU/put (${pct}% of a core at 20k puts/s)`)
  }
  replayShare(200) // warm-up
  t.diagnostic(`of which the replay window (lookup, rows, one LtHash add + one subtract per batch, index upkeep): ${replayShare(200).toFixed(2)} µs CPU/put`)
})

/** The replay steps applyBatch adds per batch, alone, in steady state (window 8: every batch expires one). */
function replayShare (batches: number): number {
  const W = 8
  const ids = Array.from({ length: batches }, (_, b) => Array.from({ length: BATCH }, (_, i) => hash('sha256', `${b}/${i}`, 'buffer') as unknown as Uint8Array))
  const index = new ReplayIndex(W)
  const lt = new LtHash()
  const rowsAt = new Map<number, Uint8Array[]>()
  const cpu0 = process.cpuUsage()
  ids.forEach((batch, b) => {
    const h = b + 1
    const { fresh, firstIds } = index.admit(batch, h)
    const expired = rowsAt.get(h - W) ?? []
    expired.forEach((row, c) => lt.remove(TABLE.replay, replayKey(h - W, c), row))
    const rows = packReplayRows(firstIds)
    rows.forEach((row, c) => lt.add(TABLE.replay, replayKey(h, c), row))
    rowsAt.set(h, rows)
    index.committed({ height: h, stateRoot: lt.root(), vector: new Uint8Array(0) }, expired, fresh)
  })
  const cpu = process.cpuUsage(cpu0)
  return (cpu.user + cpu.system) / (batches * BATCH)
}
