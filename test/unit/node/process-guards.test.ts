// A node process logs an unhandled promise rejection and keeps running (without the guard, Node ends it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'

const guards = new URL('../../../src/node/process-guards.ts', import.meta.url).href

test('an unhandled rejection is logged, and the process keeps running', () => {
  const script = `
    const { installProcessGuards } = await import(${JSON.stringify(guards)})
    const logged = []
    installProcessGuards({ error: (obj, msg) => logged.push(msg + ' ' + obj.err) })
    Promise.reject(new Error('stray'))
    await new Promise(r => setTimeout(r, 50))
    process.stdout.write(JSON.stringify({ alive: true, logged }))`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.equal(out.alive, true)
  assert.equal(out.logged.length, 1)
  assert.match(out.logged[0], /unhandled promise rejection.*stray/)
})
