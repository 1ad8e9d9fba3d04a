// Fault descriptions compile to the crashes and adversary a scenario carries, aimed at the given targets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileFault } from '../../../../src/consensus/sim/faults.ts'

test('a crash takes down the first count targets for the rest of the run', () => {
  const c = compileFault({ kind: 'crash', count: 2, atMs: 5000 }, [7, 3, 9], 100_000)
  assert.deepEqual(c.crashes.map((x) => [x.node, x.at]), [[7, 5000], [3, 5000]])
  assert.ok(c.crashes.every((x) => x.restart > 100_000))
  assert.equal(c.adversary, 'none')
})

test('flapping alternates down and up on the first target until the run ends', () => {
  const c = compileFault({ kind: 'flap', atMs: 5000, downMs: 30_000, upMs: 30_000 }, [4, 1], 130_000)
  assert.deepEqual(c.crashes, [{ node: 4, at: 5000, restart: 35_000 }, { node: 4, at: 65_000, restart: 95_000 }, { node: 4, at: 125_000, restart: 155_000 }])
})

test('a byzantine fault runs the adversary on the first count targets, sorted', () => {
  assert.deepEqual(compileFault({ kind: 'byzantine', count: 2, adversary: 'delay' }, [9, 2, 5], 1000), { crashes: [], byzantine: [2, 9], adversary: 'delay' })
  assert.deepEqual(compileFault({ kind: 'none' }, [1], 1000), { crashes: [], byzantine: [], adversary: 'none' })
})
