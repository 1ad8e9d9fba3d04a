// The live App: polls every target, tab cycles nodes, p pauses polling, ? toggles help, and a node that
// cannot be reached is said plainly and retried until it answers.
import { test, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import React from 'react'
import { cleanup, render } from 'ink-testing-library'
import { App } from '../../../src/tui/app.ts'
import { fixtureStatus, fixtureTarget } from './fixtures.ts'

const h = React.createElement

afterEach(() => cleanup())

async function until (what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

test('polls each node, tab cycles through them, shift-tab goes back', async () => {
  let height = 100
  const targets = [0, 1, 2].map(i => fixtureTarget(`node-${i}`, () => fixtureStatus({ height: height + i, committedTx: height * 10 }, i)))
  const r = render(h(App, { targets, intervalMs: 20 }))
  await until('node-0 shown', () => /node-0 \(1\/3\)/.test(r.lastFrame() ?? '') && /height 10\d/.test(r.lastFrame() ?? ''))
  height = 500
  await until('height advance', () => /height 500/.test(r.lastFrame() ?? ''))
  await until('a tps sample', () => /tps [▁▂▃▄▅▆▇█]+/.test(r.lastFrame() ?? ''))
  r.stdin.write('\t')
  await until('node-1 shown', () => /node-1 \(2\/3\)/.test(r.lastFrame() ?? '') && /height 501/.test(r.lastFrame() ?? ''))
  r.stdin.write('\t')
  await until('node-2 shown', () => /node-2 \(3\/3\)/.test(r.lastFrame() ?? ''))
  r.stdin.write('\t')
  await until('back to node-0', () => /node-0 \(1\/3\)/.test(r.lastFrame() ?? ''))
  r.stdin.write('\u001b[Z') // shift-tab
  await until('previous: node-2', () => /node-2 \(3\/3\)/.test(r.lastFrame() ?? ''))
  for (const t of targets) assert.ok(t.calls >= 2, `${t.label} polled`)
  r.unmount()
})

test('p pauses polling and resumes it; ? shows and hides help', async () => {
  const target = fixtureTarget('node-0', () => fixtureStatus())
  const r = render(h(App, { targets: [target], intervalMs: 20 }))
  await until('first status', () => /height 1,234/.test(r.lastFrame() ?? ''))
  r.stdin.write('p')
  await until('PAUSED', () => /PAUSED/.test(r.lastFrame() ?? ''))
  const calls = target.calls
  await sleep(200)
  assert.ok(target.calls <= calls + 1, `no polling while paused (${calls} -> ${target.calls})`)
  r.stdin.write('p')
  await until('resumed', () => !/PAUSED/.test(r.lastFrame() ?? '') && target.calls > calls + 1)
  r.stdin.write('?')
  await until('help', () => /show or hide this help/.test(r.lastFrame() ?? ''))
  r.stdin.write('?')
  await until('help hidden', () => !/show or hide this help/.test(r.lastFrame() ?? ''))
  r.unmount()
})

test('a node that cannot be reached is said plainly and retried until it answers', async () => {
  let up = false
  const target = fixtureTarget('node-0', () => up ? fixtureStatus({ height: 77 }) : new Error('cannot reach the node at http://127.0.0.1:1 (ECONNREFUSED)'))
  const r = render(h(App, { targets: [target], intervalMs: 20 }))
  await until('unreachable shown', () => /cannot reach node-0/.test(r.lastFrame() ?? '') && /ECONNREFUSED/.test(r.lastFrame() ?? ''))
  const before = target.calls
  await until('retried', () => target.calls > before + 1)
  up = true
  await until('recovered', () => /height 77/.test(r.lastFrame() ?? '') && !/cannot reach/.test(r.lastFrame() ?? ''))
  r.unmount()
})
