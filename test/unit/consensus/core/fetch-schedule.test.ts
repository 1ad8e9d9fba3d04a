import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FetchSchedule } from '../../../../src/consensus/core/fetch-schedule.ts'

test('one download at a time, retried with doubling backoff, each attempt leading with the next peer', () => {
  const s = new FetchSchedule({ baseDelayMs: 100, maxDelayMs: 400 })
  const peers = ['a', 'b', 'c']
  assert.deepEqual(s.start(10, peers, 0), ['a', 'b', 'c'])
  assert.equal(s.start(10, peers, 50), undefined, 'in flight')
  assert.equal(s.start(20, peers, 50), undefined, 'a newer checkpoint waits for the download in flight')
  s.failed(10, 100)
  assert.equal(s.start(10, peers, 199), undefined, 'backing off')
  assert.deepEqual(s.start(10, peers, 200), ['b', 'c', 'a'])
  s.failed(10, 200)
  assert.equal(s.start(10, peers, 399), undefined, 'the wait doubled')
  assert.deepEqual(s.start(10, peers, 400), ['c', 'a', 'b'])
  s.failed(10, 400)
  s.failed(10, 400) // a stray second report changes nothing
  assert.deepEqual(s.start(10, peers, 800), ['a', 'b', 'c'])
  s.failed(10, 800)
  assert.equal(s.start(10, peers, 1199), undefined, 'capped at maxDelayMs')
  assert.ok(s.start(10, peers, 1200) !== undefined)
  assert.equal(s.attempts, 5)
  s.done(10)
  assert.equal(s.inFlight, undefined)
  assert.deepEqual(s.start(20, peers, 1200), ['a', 'b', 'c'], 'a new checkpoint starts at once, from the first peer')
  assert.equal(s.start(30, [], 5000), undefined)
  assert.throws(() => new FetchSchedule({ baseDelayMs: 0, maxDelayMs: 1 }), RangeError)
})
