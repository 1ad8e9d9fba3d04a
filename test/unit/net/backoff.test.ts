import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelay } from '../../../src/net/backoff.ts'

test('backoff doubles up to its cap, with jitter in the upper half', () => {
  const opts = { initialMs: 100, maxMs: 1000 }
  assert.equal(backoffDelay(0, opts, 0), 50)
  assert.equal(backoffDelay(0, opts, 0.999), 100)
  assert.equal(backoffDelay(3, opts, 0.999), 800)
  assert.equal(backoffDelay(10, opts, 0.999), 1000)
  assert.equal(backoffDelay(1000, opts, 0), 500)
})
