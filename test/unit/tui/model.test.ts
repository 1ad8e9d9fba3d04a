import { test } from 'node:test'
import assert from 'node:assert/strict'
import { emptyView, fmtMs, fmtUptime, shortId, sparkline, withError, withStatus, HISTORY } from '../../../src/tui/model.ts'
import { fixtureStatus, fixtureTarget } from './fixtures.ts'

test('sparkline: scaled to the maximum of the window, flat when all zero, at most width wide', () => {
  assert.equal(sparkline([0, 7, 14]), '▁▅█')
  assert.equal(sparkline([0, 0, 0]), '▁▁▁')
  assert.equal(sparkline(Array.from({ length: 100 }, (_, i) => i), 10).length, 10)
  assert.equal(sparkline([]), '')
})

test('tps samples come from committedTx between successful polls; an error breaks the series', () => {
  const t = fixtureTarget('n', () => fixtureStatus())
  let v = withStatus(emptyView(t), fixtureStatus({ committedTx: 100 }), 1000)
  assert.deepEqual(v.tps, [])
  v = withStatus(v, fixtureStatus({ committedTx: 300 }), 2000)
  assert.deepEqual(v.tps, [200])
  v = withStatus(v, fixtureStatus({ committedTx: 400 }), 2500)
  assert.deepEqual(v.tps, [200, 200])
  v = withError(v, new Error('down'))
  assert.equal(v.error, 'down')
  assert.equal(v.status?.committedTx, 400, 'the last status is kept')
  v = withStatus(v, fixtureStatus({ committedTx: 10_000 }), 9000)
  assert.deepEqual(v.tps, [200, 200], 'no sample across the gap')
  assert.equal(v.error, null)
  for (let i = 1; i <= HISTORY + 5; i++) v = withStatus(v, fixtureStatus({ committedTx: 10_000 + i }), 9000 + i * 1000)
  assert.equal(v.tps.length, HISTORY)
})

test('formatting helpers', () => {
  assert.equal(shortId('12D3KooWabcdefghijkl'), '…efghijkl')
  assert.equal(shortId(null), '-')
  assert.equal(fmtMs(null), '-')
  assert.equal(fmtMs(1.234), '1.2 ms')
  assert.equal(fmtMs(250.4), '250 ms')
  assert.equal(fmtUptime(59), '59s')
  assert.equal(fmtUptime(61), '1m01s')
  assert.equal(fmtUptime(7322), '2h02m')
})
