// Inference latency of every shipped model through the registry (worker thread, one row per call, the
// way a node asks), plus batched throughput. Prints a table and one JSON line. Not part of `npm test`.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ort from '../src/ml/ort.ts'
import { ModelRegistry } from '../src/ml/registry.ts'
import { percentile } from '../src/ml/train/metrics.ts'

const CALLS = Number(process.env.CALLS ?? 2000)
// ROWS=16 asks 16 rows per call (one placement decision on 16 hosts); MODEL=NAME measures one model
const ROWS = Number(process.env.ROWS ?? 1)
const registry = new ModelRegistry()
const results: Array<{ model: string, p50Ms: number, p99Ms: number, directP50Ms: number, directP99Ms: number, batch1024Ms: number }> = []
for (const entry of registry.list().filter(e => process.env.MODEL == null || e.name === process.env.MODEL)) {
  const ref = entry.reference!
  const [name, feed] = Object.entries(ref.feeds)[0]
  const width = feed.data.length / feed.dims[0]
  const rows = Array.from({ length: ROWS }, (_, i) => feed.data.slice((i % feed.dims[0]) * width, (i % feed.dims[0] + 1) * width)).flat()
  const one = { [name]: { data: Float32Array.from(rows), dims: [ROWS, ...feed.dims.slice(1)] } }
  await registry.load(entry.name)
  for (let i = 0; i < 200; i++) await registry.run(entry.name, one)
  const times: number[] = []
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now()
    await registry.run(entry.name, one)
    times.push(performance.now() - t0)
  }
  const big = new Float32Array(1024 * width)
  for (let i = 0; i < 1024; i++) big.set(feed.data.slice(0, width), i * width)
  const t0 = performance.now()
  for (let i = 0; i < 20; i++) await registry.run(entry.name, { [name]: { data: big, dims: [1024, ...feed.dims.slice(1)] } })
  const batchMs = (performance.now() - t0) / 20
  // The same call on this thread, without the worker hop: what the hop costs, and what ORT itself takes.
  const session = await ort.InferenceSession.create(readFileSync(join(registry.dir, entry.file)), { intraOpNumThreads: 1, interOpNumThreads: 1 })
  const feeds = { [name]: new ort.Tensor('float32', one[name].data, one[name].dims) }
  for (let i = 0; i < 200; i++) await session.run(feeds)
  const direct: number[] = []
  for (let i = 0; i < CALLS; i++) {
    const t1 = performance.now()
    await session.run(feeds)
    direct.push(performance.now() - t1)
  }
  await session.release()
  results.push({ model: entry.name, p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), directP50Ms: percentile(direct, 0.5), directP99Ms: percentile(direct, 0.99), batch1024Ms: batchMs })
}
await registry.close()
console.log('model        worker p50  worker p99  in-thread p50  in-thread p99  batch of 1024 (ms)')
for (const r of results) console.log(`${r.model.padEnd(12)} ${r.p50Ms.toFixed(3).padStart(10)} ${r.p99Ms.toFixed(3).padStart(11)} ${r.directP50Ms.toFixed(3).padStart(14)} ${r.directP99Ms.toFixed(3).padStart(14)} ${r.batch1024Ms.toFixed(2).padStart(19)}`)
console.log(JSON.stringify({ calls: CALLS, rows: ROWS, results }))
