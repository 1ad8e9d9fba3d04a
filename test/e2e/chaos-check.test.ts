// `novacron chaos check` through the real CLI: exit 0 linearizable, 1 not (with the failing window in
// --json), 3 undecided within the budget, 1 with one line for a file that is not a history.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, cli, json, tempDir } from './helpers.ts'

const fixtures = new URL('../fixtures/chaos/', import.meta.url).pathname
after(cleanup)

test('chaos check: verdicts as exit codes, the smallest failing window in --json', async () => {
  const good = await cli(['chaos', 'check', join(fixtures, 'etcd_005.log'), '--format', 'jepsen-log'])
  assert.equal(good.code, 0, good.stderr)
  assert.match(good.stdout, /^linearizable/)
  const bad = await cli(['chaos', 'check', join(fixtures, 'etcd_039.log'), '--format', 'jepsen-log', '--json'])
  assert.equal(bad.code, 1, bad.stderr)
  const report = json(bad)
  assert.equal(report.verdict, 'not-linearizable')
  assert.ok(report.linearizability.keys[0].window.ops.length > 0)
  const undecided = await cli(['chaos', 'check', join(fixtures, 'etcd_005.log'), '--format', 'jepsen-log', '--max-steps', '5'])
  assert.equal(undecided.code, 3)
  const dir = tempDir('nc-chaos-check-')
  const notHistory = join(dir, 'x.json')
  writeFileSync(notHistory, '{"format":"novacron-history/1","ops":[{"key":1}]}')
  const refused = await cli(['chaos', 'check', notHistory])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /ops\[0\]\.key/)
  assert.equal(refused.stderr.trim().split('\n').length, 1)
  const history = join(dir, 'h.json')
  writeFileSync(history, JSON.stringify({ format: 'novacron-history/1', ops: [{ process: 'c', key: 'a', f: 'write', value: '1', invoke: 0, complete: 1, outcome: 'ok', txId: 't1', height: 1 }], logs: { n1: [{ height: 1, batchId: 'b', stateRoot: 'r', txIds: ['t1'] }] } }))
  const mine = await cli(['chaos', 'check', history, '--json'])
  assert.equal(mine.code, 0, mine.stderr)
  assert.deepEqual([json(mine).logs.agree, json(mine).logs.lost], [true, []])
})
