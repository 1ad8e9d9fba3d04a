// A micro benchmark, printed and not asserted: how much of a core applying and committing small puts
// costs (overwrites change the value, so each costs two LtHash expansions). The target is 20,000 puts/s for well under 20% of one core, i.e. under 10 µs of CPU per put.
import { test } from 'node:test'
import { Storage } from '../../../src/state/storage/storage.ts'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import type { StateBackend } from '../../../src/state/backend.ts'
import { kvPutTx } from '../../../src/state/tx.ts'
import { tempDbPath } from './helpers.ts'

const BATCH = 500
const BATCHES = 30
const value = 'v'.repeat(100)

function run (backend: StateBackend, keyOf: (b: number, i: number) => string, valueOf = (_b: number): string => value): { putsPerS: number, cpuUsPerPut: number } {
  const sm = new StateMachine(backend)
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
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  rows.push({ backend: 'sqlite (fsync per batch)', keys: 'new', ...run(s, (b, i) => `k${b}-${i}`) })
  rows.push({ backend: 'sqlite (fsync per batch)', keys: 'overwrite', ...run(s, (b, i) => `k${(b + 7) % BATCHES}-${i}`, (b) => `${value}${b}`) })
  for (const r of rows) {
    const pct = (Number(r.cpuUsPerPut) * 20_000 / 1e6 * 100).toFixed(0)
    t.diagnostic(`${r.backend}, ${r.keys} keys, batches of ${BATCH}: ${r.putsPerS} puts/s, ${r.cpuUsPerPut} µs CPU/put (${pct}% of a core at 20k puts/s)`)
  }
})
