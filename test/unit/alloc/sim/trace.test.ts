// Trace loaders: small fixtures cut from the real traces (test/fixtures/workloads), and the full traces'
// published counts when ../shared/data is present (CI sets NOVACRON_REQUIRE_DATA=1 and needs it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { AZURE_DIR, findDataDir, loadAzure, loadOpenb, loadOpenbNodes, openbHosts, parseFlavours, parseIntervals } from '../../../../src/alloc/sim/trace.ts'

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures')

test('fixture: flavours, duration bins and the dev window token for token', () => {
  const flavours = parseFlavours(readFileSync(join(FIXTURES, AZURE_DIR, 'flav_map.txt'), 'utf8'))
  assert.equal(flavours.size, 16)
  assert.deepEqual(flavours.get('a'), { vcpu: 1, gb: 0.75 })
  assert.deepEqual(flavours.get('d'), { vcpu: 16, gb: 112 })
  const bins = parseIntervals(readFileSync(join(FIXTURES, AZURE_DIR, 'v1.interval_map.txt'), 'utf8'))
  assert.deepEqual(bins[13], [3900, 7200])
  assert.deepEqual(bins[45], [864300, 1728000])
  const w = loadAzure(FIXTURES, 'dev')
  assert.equal(w.requests.length, 154)
  assert.equal(w.requests.filter(r => r.censored).length, 11)
  assert.equal(w.requests.filter(r => r.cpu === 8000 && r.memMiB === 56 * 1024).length, 1, "one 'o' (8 vCPU / 56 GB)")
  for (const r of w.requests) {
    assert.ok(r.durationS >= 1 && r.t >= w.start && r.t < 1_800_000 + 8 * 300)
    if (r.censored) assert.ok(Math.abs(r.t + r.durationS - w.end) <= 1, 'a censored VM runs to the window end')
  }
  assert.deepEqual(loadAzure(FIXTURES, 'dev'), w, 'the same seed draws the same lifetimes')
})

test('fixture: openb pods inside the test window and stratified hosts', () => {
  const pods = loadOpenb(FIXTURES, 'test')
  assert.equal(pods.requests.length, 20)
  assert.ok(pods.requests.every((r, i) => i === 0 || r.t >= pods.requests[i - 1].t))
  const nodes = loadOpenbNodes(FIXTURES)
  assert.equal(nodes.length, 21)
  const hosts = openbHosts(nodes, 7)
  assert.equal(hosts.length, 7)
  assert.equal(new Set(hosts.map(h => h.id)).size, 7)
})

const data = findDataDir()
test('full traces: the counts of ALLOCATION-AND-FL.md §5', { skip: data == null && process.env.NOVACRON_REQUIRE_DATA !== '1' ? 'needs ../shared/data (the full traces)' : false }, () => {
  assert.ok(data != null, 'NOVACRON_REQUIRE_DATA=1 but ../shared/data/workloads is missing')
  const dev = loadAzure(data, 'dev')
  const testWindow = loadAzure(data, 'test')
  assert.deepEqual([dev.requests.length, dev.requests.filter(r => r.censored).length], [259_159, 14_317])
  assert.deepEqual([testWindow.requests.length, testWindow.requests.filter(r => r.censored).length], [410_276, 23_311])
  const nodes = loadOpenbNodes(data)
  assert.equal(nodes.length, 1523)
  const all = [...loadOpenb(data, 'train').requests, ...loadOpenb(data, 'test').requests]
  assert.ok(all.every(r => r.cpu <= 128_000), 'no request above 128 cores')
  assert.equal(Math.max(...all.map(r => r.cpu)), 120_200, "max 120.2 cores")
})
