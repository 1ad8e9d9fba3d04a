import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { BrokenCircuitError } from 'cockatiel'
import { pair, writeFileOf } from './fixtures.ts'
import { PeerBreakers, withRetry } from '../../../src/dwcp/resilience/breaker.ts'
import type { CircuitStatus } from '../../../src/dwcp/resilience/breaker.ts'
import { HealthMonitor } from '../../../src/dwcp/resilience/health.ts'
import { ManualClock } from '../../../src/dwcp/resilience/clock.ts'
import { TransferError } from '../../../src/dwcp/amst/types.ts'

const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

test('a peer that goes away opens its breaker, and it closes when the peer returns', async (t) => {
  const p = await pair(t)
  const src = join(p.srcDir, 'f.bin')
  await writeFileOf(src, 'text', 100_000)
  const changes: Array<[string, CircuitStatus]> = []
  const breakers = new PeerBreakers({ breaker: { failureThreshold: 3, halfOpenAfterMs: 100 }, onStateChange: (peer, s) => changes.push([peer, s]) })
  const send = async (): Promise<unknown> => await breakers.execute('B', async () => await p.sender.send({ file: src, to: 'B' }))

  p.net.setDown('B', true)
  for (let i = 0; i < 3; i++) await assert.rejects(send(), /cannot reach/)
  assert.equal(breakers.status('B'), 'open')
  await assert.rejects(send(), BrokenCircuitError, 'an open breaker fails fast')
  assert.equal(breakers.status('other'), 'closed', 'breakers are per peer')

  p.net.setDown('B', false)
  await sleep(120)
  await send()
  assert.equal(breakers.status('B'), 'closed')
  assert.deepEqual(changes.map(([, s]) => s), ['open', 'half-open', 'closed'])
})

test('a failed half-open probe opens the breaker again', async () => {
  const breakers = new PeerBreakers({ breaker: { failureThreshold: 1, halfOpenAfterMs: 30 } })
  await assert.rejects(breakers.execute('p', async () => { throw new Error('down') }))
  assert.equal(breakers.status('p'), 'open')
  await sleep(40)
  await assert.rejects(breakers.execute('p', async () => { throw new Error('still down') }), /still down/)
  assert.equal(breakers.status('p'), 'open')
})

test('retries back off exponentially and stop on errors that are not the peer\'s fault', async () => {
  const times: number[] = []
  const result = await withRetry(async (attempt) => {
    times.push(performance.now())
    if (attempt < 3) throw new Error('flaky')
    return attempt
  }, { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 1000 })
  assert.equal(result, 3)
  assert.equal(times.length, 4)

  let calls = 0
  const breakers = new PeerBreakers({ retry: { maxAttempts: 5, initialDelayMs: 1 }, isPeerFault: (e) => !(e instanceof TransferError && e.rejected) })
  await assert.rejects(breakers.executeWithRetry('p', async () => {
    calls++
    throw new TransferError('refused', true)
  }))
  assert.equal(calls, 1, 'a refusal is not retried')
  assert.equal(breakers.status('p'), 'closed', 'nor does it count against the peer')

  calls = 0
  const flaky = new PeerBreakers({ retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 5 }, breaker: { failureThreshold: 10 } })
  assert.equal(await flaky.executeWithRetry('p', async (attempt) => {
    calls++
    if (attempt < 2) throw new Error('flaky')
    return 'ok'
  }), 'ok')
  assert.equal(calls, 3)
})

test('the health loop checks every 10 s and restarts a failed component after 1 s, 2 s, 4 s', async () => {
  const clock = new ManualClock()
  const health = new HealthMonitor({ clock })
  let healthy = true
  let restarts = 0
  const restartTimes: number[] = []
  let checks = 0
  health.register({
    name: 'dwcp',
    check: async () => { checks++; return healthy },
    restart: async () => { restarts++; restartTimes.push(clock.now()) },
    circuit: () => 'closed'
  })
  health.register({ name: 'steady', check: async () => 'degraded' })
  health.start()
  await clock.advance(0)
  assert.equal(checks, 1)
  await clock.advance(10_000)
  assert.equal(checks, 2)
  assert.equal(health.report().status, 'degraded')

  healthy = false
  await clock.advance(10_000) // t = 20 s: the check fails
  assert.equal(health.states()[0].status, 'failed')
  await clock.advance(7_000) // restarts at 21 s, 23 s, 27 s while it keeps failing
  assert.deepEqual(restartTimes, [21_000, 23_000, 27_000])
  healthy = true
  await clock.advance(4_000) // the restart at 31 s is followed by a passing check
  assert.equal(restarts, 4)
  const [dwcp] = health.states()
  assert.deepEqual({ name: dwcp.name, status: dwcp.status, circuit: dwcp.circuit, restarts: dwcp.restarts }, { name: 'dwcp', status: 'ok', circuit: 'closed', restarts: 4 })
  health.stop()
})

test('a check that hangs or throws counts as failed', async () => {
  const clock = new ManualClock()
  const health = new HealthMonitor({ clock, checkTimeoutMs: 1000 })
  health.register({ name: 'hangs', check: async () => await new Promise<boolean>(() => {}) })
  health.register({ name: 'throws', check: async () => { throw new Error('boom') } })
  const all = health.checkAll()
  await clock.advance(1000)
  await all
  assert.deepEqual(health.states().map((s) => [s.name, s.status, s.lastError]), [
    ['hangs', 'failed', 'check timed out after 1000 ms'],
    ['throws', 'failed', 'boom']
  ])
  assert.equal(health.report().status, 'failed')
})
