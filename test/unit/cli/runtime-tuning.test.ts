// The memory settings `node start` re-executes itself with: added only where the operator set nothing, never
// twice, and put back as they were inside the tuned image.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RUNTIME_TUNED_ENV, restoreEnvironment, tunedEnvironment } from '../../../src/cli/runtime-tuning.ts'

test('an untuned environment gets 2 MiB semi-spaces and 2 malloc arenas, its other options kept', () => {
  const env = tunedEnvironment({ PATH: '/bin', NODE_OPTIONS: '--enable-source-maps' })
  assert.ok(env != null)
  assert.equal(env.NODE_OPTIONS, '--enable-source-maps --max-semi-space-size=2')
  assert.equal(env.MALLOC_ARENA_MAX, '2')
  assert.equal(env.PATH, '/bin')
  assert.deepEqual(JSON.parse(env[RUNTIME_TUNED_ENV]!), { NODE_OPTIONS: '--enable-source-maps', MALLOC_ARENA_MAX: null })
})

test("what the operator chose is kept: a semi-space size in NODE_OPTIONS, MALLOC_ARENA_MAX", () => {
  const env = tunedEnvironment({ NODE_OPTIONS: '--max-semi-space-size=32', MALLOC_ARENA_MAX: '8' })
  assert.equal(env?.NODE_OPTIONS, '--max-semi-space-size=32')
  assert.equal(env?.MALLOC_ARENA_MAX, '8')
})

test('no second re-exec: a tuned image, or the marker set by hand, changes nothing', () => {
  const once = tunedEnvironment({})!
  assert.equal(tunedEnvironment(once), null)
  assert.equal(tunedEnvironment({ [RUNTIME_TUNED_ENV]: '1' }), null)
})

test('the tuned image puts the environment back as the operator had it, keeping the marker', () => {
  const original = { HOME: '/root', NODE_OPTIONS: '--trace-warnings' }
  const tuned = tunedEnvironment(original)!
  assert.equal(restoreEnvironment(tuned), true)
  assert.equal(tuned.NODE_OPTIONS, '--trace-warnings')
  assert.equal('MALLOC_ARENA_MAX' in tuned, false)
  assert.equal(tuned.HOME, '/root')
  assert.equal(tunedEnvironment(tuned), null, 'a node started from here would not tune again')
  assert.equal(restoreEnvironment({ [RUNTIME_TUNED_ENV]: '1' }), false, 'the hand-set marker holds nothing to restore')
  assert.equal(restoreEnvironment({ [RUNTIME_TUNED_ENV]: '{broken' }), false)
  assert.equal(restoreEnvironment({}), false)
})
