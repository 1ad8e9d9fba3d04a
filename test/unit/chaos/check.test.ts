// The history checker: it agrees with the published verdict of every Jepsen etcd history (the full set
// under ../shared/data, two shipped fixtures without it), and with hand-made histories whose verdict is
// plain: stale reads, lost writes, failed writes, and operations of unknown outcome.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { dataSet } from '../../helpers/data.ts'
import { HistoryFormatError, checkHistory, checkLinearizable, checkLogs, parseHistory, parseJepsenLog, type RegisterOp } from '../../../src/chaos/check/index.ts'

const fixtures = new URL('../../fixtures/chaos/', import.meta.url).pathname
const jepsen = dataSet('linearizability/jepsen-etcd')

test('the shipped Jepsen fixtures get their published verdicts', () => {
  assert.equal(checkLinearizable(parseJepsenLog(readFileSync(join(fixtures, 'etcd_005.log'), 'utf8'))).verdict, 'linearizable')
  const bad = checkLinearizable(parseJepsenLog(readFileSync(join(fixtures, 'etcd_039.log'), 'utf8')))
  assert.equal(bad.verdict, 'not-linearizable')
  const w = bad.keys[0].window!
  assert.ok(w != null && w.ops.length > 0 && w.ops.length < 20, 'a small failing window')
})

test('every history of ../shared/data/linearizability gets its published verdict', { skip: jepsen.skip }, () => {
  const dir = jepsen.path!
  const verdicts = new Map(readFileSync(join(dir, 'verdicts.tsv'), 'utf8').trim().split('\n').map(l => l.split('\t') as [string, string]))
  const logs = readdirSync(dir).filter(f => f.endsWith('.log'))
  assert.ok(logs.length >= 60 && logs.every(f => verdicts.has(f)), 'every log has a verdict')
  for (const f of logs) {
    const r = checkLinearizable(parseJepsenLog(readFileSync(join(dir, f), 'utf8')), { maxSteps: 5_000_000, window: false })
    assert.equal(r.verdict, verdicts.get(f), f)
  }
})

let t = 0
const op = (f: RegisterOp['f'], value: string | null, span: [number, number | null], outcome: RegisterOp['outcome'] = 'ok', key = 'k', expect?: string | null): RegisterOp =>
  ({ process: `p${t++}`, key, f, value, invoke: span[0], complete: span[1], outcome, ...(expect !== undefined ? { expect } : {}) })
const verdict = (ops: RegisterOp[]): string => checkLinearizable(ops).verdict

test('a stale read is caught; a read concurrent with the write may see either value', () => {
  assert.equal(verdict([op('write', '1', [0, 1]), op('write', '2', [2, 3]), op('read', '1', [4, 5])]), 'not-linearizable')
  assert.equal(verdict([op('write', '1', [0, 1]), op('write', '2', [2, 6]), op('read', '1', [4, 5])]), 'linearizable')
  assert.equal(verdict([op('write', '1', [0, 1]), op('write', '2', [2, 6]), op('read', '2', [4, 5]), op('read', '1', [7, 8])]), 'not-linearizable')
})

test('an acknowledged write that a later read does not see is lost; a failed write never happened', () => {
  assert.equal(verdict([op('write', '1', [0, 1]), op('read', null, [2, 3])]), 'not-linearizable')
  assert.equal(verdict([op('write', '1', [0, 1], 'fail'), op('read', '1', [2, 3])]), 'not-linearizable')
  assert.equal(verdict([op('write', '1', [0, 1], 'fail'), op('read', null, [2, 3])]), 'linearizable')
})

test('an operation of unknown outcome may or may not have happened, but never before it was invoked', () => {
  assert.equal(verdict([op('write', '1', [0, null], 'unknown'), op('read', '1', [5, 6])]), 'linearizable')
  assert.equal(verdict([op('write', '1', [0, null], 'unknown'), op('read', null, [5, 6])]), 'linearizable')
  assert.equal(verdict([op('write', '1', [0, null], 'unknown'), op('read', '1', [5, 6]), op('read', null, [7, 8])]), 'not-linearizable')
  assert.equal(verdict([op('read', '1', [0, 1]), op('write', '1', [2, null], 'unknown')]), 'not-linearizable')
  // An unknown read constrains nothing.
  assert.equal(verdict([op('write', '1', [0, 1]), op('read', '7', [2, null], 'unknown')]), 'linearizable')
})

test('compare-and-set: ok needs a match, fail needs a mismatch', () => {
  assert.equal(verdict([op('write', '1', [0, 1]), op('cas', '2', [2, 3], 'ok', 'k', '1'), op('read', '2', [4, 5])]), 'linearizable')
  assert.equal(verdict([op('write', '1', [0, 1]), op('cas', '2', [2, 3], 'ok', 'k', '3')]), 'not-linearizable')
  assert.equal(verdict([op('write', '1', [0, 1]), op('cas', '2', [2, 3], 'fail', 'k', '1')]), 'not-linearizable')
})

test('keys are checked apart: only the broken key fails, with its window', () => {
  const r = checkLinearizable([op('write', 'a', [0, 1], 'ok', 'a'), op('read', 'a', [2, 3], 'ok', 'a'), op('write', 'b', [0, 1], 'ok', 'b'), op('read', 'x', [5, 6], 'ok', 'b')])
  assert.equal(r.verdict, 'not-linearizable')
  assert.deepEqual(r.keys.map(k => [k.key, k.verdict]), [['a', 'linearizable'], ['b', 'not-linearizable']])
  assert.deepEqual([r.keys[1].window!.from, r.keys[1].window!.to], [5, 6], 'the read of a value never written is a window by itself')
})

test('out of budget the answer is "unknown", never a guess', () => {
  const ops = parseJepsenLog(readFileSync(join(fixtures, 'etcd_005.log'), 'utf8'))
  assert.equal(checkLinearizable(ops, { maxSteps: 10 }).verdict, 'unknown')
  assert.equal(checkLinearizable(ops, { expired: () => true, maxSteps: 1e9 }).verdict, 'linearizable', 'this one finishes before the first clock check')
  const many = Array.from({ length: 40 }, (_, i) => op('write', String(i), [0, null], 'unknown')).concat([op('read', 'nope', [1, 2])])
  assert.equal(checkLinearizable(many, { expired: () => true }).verdict, 'unknown')
})

test('logs: divergence, convergence, and lost acknowledged writes (a node behind is not lossy)', () => {
  const e = (height: number, batchId: string, txIds: string[] = [], stateRoot = `r${height}`) => ({ height, batchId, stateRoot, txIds })
  const ok = checkLogs({ a: [e(1, 'x', ['t1']), e(2, 'y')], b: [e(1, 'x', ['t1']), e(2, 'y')] }, [{ ...op('write', 'v', [0, 1]), txId: 't1', height: 1 }])
  assert.deepEqual([ok.agree, ok.converged, ok.lost.length, ok.acknowledged], [true, true, 0, 1])
  const diverged = checkLogs({ a: [e(1, 'x'), e(2, 'y')], b: [e(1, 'x'), e(2, 'z')] })
  assert.deepEqual(diverged.divergences.map(d => [d.height, d.field]), [[2, 'batchId']])
  const rootsDiffer = checkLogs({ a: [e(1, 'x', [], 'r')], b: [e(1, 'x', [], 's')] })
  assert.deepEqual(rootsDiffer.divergences.map(d => d.field), ['stateRoot'])
  const behind = checkLogs({ a: [e(1, 'x'), e(2, 'y', ['t2'])], b: [e(1, 'x')] }, [{ ...op('write', 'v', [0, 1]), txId: 't2', height: 2 }])
  assert.deepEqual([behind.lost.length, behind.converged], [0, false])
  const gap = checkLogs({ a: [e(1, 'x'), e(2, 'y', ['t2']), e(3, 'z', ['t3'])], b: [e(1, 'x'), e(3, 'z', [])] }, [{ ...op('write', 'v', [0, 1]), txId: 't2', height: 2 }, { ...op('write', 'w', [0, 1]), txId: 't3', height: 3 }])
  assert.deepEqual(gap.lost.map(l => [l.txId, l.missingOn]), [['t3', ['b']]], 'a height skipped by a snapshot is not judged; a held height is')
  // A node that caught up by snapshot acknowledges at the snapshot height, after the commit: not lost.
  const viaSnapshot = checkLogs({ a: [e(1, 'x', ['t1']), e(2, 'y')] }, [{ ...op('write', 'v', [0, 1]), txId: 't1', height: 2 }])
  assert.deepEqual(viaSnapshot.lost, [])
  const early = checkLogs({ a: [e(1, 'x'), e(2, 'y', ['t1'])] }, [{ ...op('write', 'v', [0, 1]), txId: 't1', height: 1 }])
  assert.equal(early.lost.length, 1, 'acknowledged at a height before its commit')
  const lost = checkLogs({ a: [e(1, 'x'), e(2, 'y')], b: [e(1, 'x'), e(2, 'y')] }, [{ ...op('write', 'v', [0, 1]), txId: 't9', height: 2 }])
  assert.deepEqual(lost.lost.map(l => l.missingOn), [['a', 'b']])
  const report = checkHistory({ format: 'novacron-history/1', ops: [{ ...op('write', 'v', [0, 1]), txId: 't9', height: 2 }], logs: { a: [e(1, 'x'), e(2, 'y')] } })
  assert.equal(report.verdict, 'not-linearizable', 'a lost write fails the history even when the register checks pass')
})

test('malformed histories are refused with a typed error naming the field', () => {
  for (const [raw, field] of [[null, 'object'], [{ format: 'x', ops: [] }, 'format'], [{ format: 'novacron-history/1', ops: [{ key: 'k', f: 'read', outcome: 'ok', invoke: 1 }] }, 'complete'],
    [{ format: 'novacron-history/1', ops: [{ key: 'k', f: 'inc', outcome: 'ok', invoke: 1, complete: 2 }] }, '.f'], [{ format: 'novacron-history/1', ops: [{ key: 'k', f: 'read', outcome: 'ok', invoke: 3, complete: 2 }] }, 'complete'],
    [{ format: 'novacron-history/1', ops: [], logs: { a: [{ height: 'x' }] } }, 'logs.a']] as const) {
    assert.throws(() => parseHistory(raw), (err: Error) => err instanceof HistoryFormatError && err.message.includes(field), JSON.stringify(raw))
  }
  assert.throws(() => parseJepsenLog('INFO  jepsen.util - 1\t:ok\t:read\t3\n'), HistoryFormatError)
  assert.throws(() => parseJepsenLog('INFO  jepsen.util - 1\t:invoke\t:cas\t3\n'), HistoryFormatError)
  assert.throws(() => parseJepsenLog('INFO  jepsen.util - 1 :frob'), HistoryFormatError)
})
