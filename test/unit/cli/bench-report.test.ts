// What `bench --out FILE` writes beside the JSON: the CSV (one row per measured point) and the SVG plot.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchResult } from '../../../src/cli/bench/devnet-bench.ts'
import { besides, points, toCsv, toSvg, writeOutputs } from '../../../src/cli/bench/report.ts'
import { benchTable } from '../../../src/cli/commands/bench.ts'

function result (over: Partial<BenchResult> = {}): BenchResult {
  return {
    protocol: 'pbft',
    nodes: 4,
    txSize: 512,
    durationS: 3,
    offeredRate: 400,
    committedTx: 1200,
    tps: 387,
    latencyMs: { p50: 71.9, p90: 149, p99: 292.6 },
    perNode: [{ id: 'a', cpuPct: 16, rssMiB: 185 }, { id: 'b', cpuPct: 18, rssMiB: 190 }],
    machine: { cpus: 2, model: 'x', memGiB: 24, node: 'v24.21.0' },
    mode: 'devnet',
    ...over
  }
}

const searched = result({
  maxP99Ms: 300,
  search: [
    { offeredRate: 200, tps: 199, p50: 74.4, p99: 156.3, withinCap: true },
    { offeredRate: 400, tps: 387, p50: 71.9, p99: 292.6, withinCap: true },
    { offeredRate: 800, tps: 732, p50: 170.5, p99: 709.9, withinCap: false }
  ]
})

test('csv: a header and one row per point (each search step, or the run), CPU mean and max RSS', () => {
  const lines = toCsv([result(), searched]).trimEnd().split('\n')
  assert.equal(lines[0], 'protocol,mode,nodes,txSize,durationS,offeredRate,tps,p50Ms,p90Ms,p99Ms,withinCap,meanCpuPct,maxRssMiB')
  assert.equal(lines.length, 1 + 1 + 3)
  assert.equal(lines[1], 'pbft,devnet,4,512,3,400,387,71.9,149,292.6,,17,190')
  assert.equal(lines[4], 'pbft,devnet,4,512,3,800,732,170.5,,709.9,false,17,190')
  const closed = toCsv([result({ offeredRate: null, latencyMs: { p50: null, p90: null, p99: null } })]).split('\n')[1]
  assert.equal(closed, 'pbft,devnet,4,512,3,,387,,,,,17,190')
})

test('svg: a well-formed plot of latency against rate, p50 and p99 per protocol, the cap drawn', () => {
  const svg = toSvg([searched])
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  assert.match(svg.trimEnd(), /<\/svg>$/)
  assert.equal((svg.match(/<polyline /g) ?? []).length, 2, 'p50 and p99 lines')
  assert.equal((svg.match(/<circle /g) ?? []).length, 6, 'a marker per point and percentile')
  assert.match(svg, /p99 cap 300 ms/)
  assert.match(svg, /pbft p50/)
  assert.match(svg, /transactions applied per second/)
  assert.match(svg, /end-to-end latency \(ms\)/)
  const opened = (svg.match(/<(?!\/)(\w+)[^>]*[^/]>/g) ?? []).length
  const closed = (svg.match(/<\/\w+>/g) ?? []).length
  assert.equal(opened, closed, 'every element that is opened is closed')
  const sim = toSvg([result({ mode: 'sim', simulated: true, latencyMs: { p50: null, p90: null, p99: null } })])
  assert.match(sim, /SIMULATED time/)
  assert.match(sim, /no per-transaction latency/)
})

test('points and the table: search steps when there was a search', () => {
  assert.deepEqual(points([searched]).map(p => p.offeredRate), [200, 400, 800])
  assert.deepEqual(points([result()]).map(p => p.tps), [387])
  const table = benchTable([searched])
  assert.match(table, /search for the highest rate with p99 <= 300 ms/)
  assert.match(table, /\s800\s+732\s+170\.5\s+709\.9\s+no/)
})

test('--out FILE writes FILE, and .csv and .svg beside it', () => {
  assert.deepEqual(besides('/x/run.json'), { csv: '/x/run.csv', svg: '/x/run.svg' })
  assert.deepEqual(besides('/x.d/run'), { csv: '/x.d/run.csv', svg: '/x.d/run.svg' })
  const dir = mkdtempSync(join(tmpdir(), 'nc-bench-report-'))
  try {
    const written = writeOutputs(join(dir, 'b.json'), [result(), searched], [result(), searched])
    assert.equal(JSON.parse(readFileSync(written.json, 'utf8')).length, 2)
    assert.match(readFileSync(written.csv, 'utf8'), /^protocol,mode/)
    assert.match(readFileSync(written.svg, 'utf8'), /<svg /)
    assert.throws(() => writeOutputs(join(dir, 'b.csv'), result(), [result()]), /name the JSON file/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
