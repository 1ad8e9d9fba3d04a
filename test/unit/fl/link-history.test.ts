// The node's own link history: every DWCP send's throughput lands in <dataDir>/fl/links as a trace the
// forecaster's reader accepts, files stay bounded, and a federated client sees samples recorded after start.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LinkHistory, dirSignature } from '../../../src/fl/link-history.ts'
import { readTraces } from '../../../src/ml/data/bandwidth.ts'

test('recorded sends read back as one trace per peer, and bad samples are not recorded', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nc-links-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  let now = 1000
  const h = new LinkHistory({ dataDir, nowS: () => now++ })
  for (let i = 0; i < 20; i++) h.record('12D3KooWpeerA', 10 + i)
  for (let i = 0; i < 15; i++) h.record('12D3KooWpeerB', 3)
  h.record('12D3KooWpeerB', Number.NaN)
  h.record('12D3KooWpeerB', -1)
  const traces = readTraces(h.dir).sort((a, b) => a.mbps.length - b.mbps.length)
  assert.equal(traces.length, 2)
  assert.deepEqual(traces.map(x => x.mbps.length), [15, 20])
  assert.equal(traces[1].mbps[19], 29)
})

test('a peer file is bounded: past maxBytes the older half is dropped, newest samples kept', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nc-links-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  let now = 0
  const h = new LinkHistory({ dataDir, maxBytes: 2000, nowS: () => now++ })
  for (let i = 0; i < 1000; i++) h.record('peer', i)
  const file = join(h.dir, 'dwcp-peer.txt')
  assert.ok(statSync(file).size <= 2000)
  const last = readFileSync(file, 'utf8').trim().split('\n').at(-1)
  assert.equal(last, '999.000 999.0000')
})

test('the directory signature changes with every recorded sample (so FL re-reads its data)', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nc-links-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const h = new LinkHistory({ dataDir, nowS: () => 1 })
  assert.equal(dirSignature(h.dir), '')
  h.record('peer', 1)
  const a = dirSignature(h.dir)
  h.record('peer', 2)
  assert.notEqual(dirSignature(h.dir), a)
})
