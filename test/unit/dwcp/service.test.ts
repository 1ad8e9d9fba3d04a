import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DwcpService, HealthMonitor, MemoryNetwork, ManualClock, createCodec } from '../../../src/dwcp/index.ts'
import { sha256Of, writeFileOf } from './fixtures.ts'

async function setup (t: { after: (fn: () => Promise<void>) => void }): Promise<{ net: MemoryNetwork, a: DwcpService, b: DwcpService, root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'dwcp-svc-'))
  const net = new MemoryNetwork()
  const mk = async (id: string): Promise<DwcpService> => {
    const s = new DwcpService({ dialer: net.dialer(id), receiveDir: join(root, id), durable: false, retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 }, breaker: { failureThreshold: 3, halfOpenAfterMs: 50 } })
    await s.start()
    net.listen(id, (stream, from) => { void s.handleStream(stream, from) })
    return s
  }
  const a = await mk('A')
  const b = await mk('B')
  t.after(async () => {
    await Promise.all([a.close(), b.close()])
    await rm(root, { recursive: true, force: true })
  })
  return { net, a, b, root }
}

test('the service sends with retries, logs both directions and measures the link', async (t) => {
  const { net, a, b, root } = await setup(t)
  const src = join(root, 'f.bin')
  const hash = await writeFileOf(src, 'random', 3 * 1024 * 1024)
  a.links.recordRtt('B', 0.5)
  // The first attempt fails on the wire, the retry resumes and completes.
  let dropped = false
  net.tamper = (frame, ctx) => {
    if (!dropped && ctx.from === 'A' && ctx.seq > 4) {
      dropped = true
      net.setDown('B', true)
      setTimeout(() => net.setDown('B', false), 1)
    }
    return frame
  }
  const s = await a.send({ file: src, to: 'B', codec: 'zstd', chunkSize: 256 * 1024 })
  assert.ok(dropped)
  assert.deepEqual(await sha256Of(join(root, 'B', 'f.bin')), hash)
  assert.deepEqual(Object.keys(s.codecMix), ['none'], 'random data is sent as is even when zstd is asked for')
  const sent = a.status(s.id)
  assert.equal(sent?.state, 'done')
  assert.equal(sent?.direction, 'send')
  assert.equal(b.list()[0].direction, 'receive')
  assert.equal(b.list()[0].state, 'done')
  assert.equal(a.metrics().transfersSent, 1)
  const peer = a.peer('B')
  assert.equal(peer.circuit, 'closed')
  assert.ok(peer.bandwidthMbps !== null && peer.tier !== null)
})

test('the service\'s health component reports a lost receive directory and restarts it', async (t) => {
  const { a, root } = await setup(t)
  const clock = new ManualClock()
  const health = new HealthMonitor({ clock })
  health.register(a.healthComponent())
  await health.checkAll()
  assert.equal(health.report().status, 'ok')
  await rm(join(root, 'A'), { recursive: true })
  await health.checkAll()
  assert.equal(health.states()[0].status, 'failed')
  await clock.advance(1000)
  await health.settled()
  await health.checkAll()
  assert.deepEqual(health.states().map(({ name, status, circuit, restarts }) => ({ name, status, circuit, restarts })), [{ name: 'dwcp', status: 'ok', circuit: 'closed', restarts: 1 }])
  // Read-only is a failure too (skipped as root, who may write anyway).
  if (process.getuid?.() !== 0) {
    await chmod(join(root, 'A'), 0o500)
    await health.checkAll()
    assert.equal(health.states()[0].status, 'failed')
    await chmod(join(root, 'A'), 0o700)
  }
  await mkdir(join(root, 'A'), { recursive: true })
})

test('a refused send is not retried and leaves the breaker closed', async (t) => {
  const { a, root } = await setup(t)
  const src = join(root, 'x')
  await writeFileOf(src, 'random', 10)
  await assert.rejects(a.send({ file: src, to: 'B', name: 'x', baseName: '../etc' }), /refused/)
  assert.equal(a.peer('B').circuit, 'closed')
  assert.equal(a.list()[0].state, 'failed')
})

test('a model can stand in for auto and for the link estimate', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'dwcp-svc-'))
  t.after(async () => await rm(root, { recursive: true, force: true }))
  const net = new MemoryNetwork()
  const b = new DwcpService({ dialer: net.dialer('B'), receiveDir: join(root, 'B'), durable: false })
  await b.start()
  t.after(async () => await b.close())
  net.listen('B', (s, from) => { void b.handleStream(s, from) })
  const seen: Array<{ bandwidthMbps: number, rttMs: number }> = []
  const a = new DwcpService({
    dialer: net.dialer('A'),
    receiveDir: join(root, 'A'),
    autoSelector: { choose: (_chunk, link) => { seen.push(link); return createCodec('snappy') } },
    linkEstimate: () => ({ bandwidthMbps: 42, rttMs: 7 })
  })
  const src = join(root, 'f.txt')
  await writeFileOf(src, 'text', 300_000)
  const s = await a.send({ file: src, to: 'B', chunkSize: 65536 })
  assert.deepEqual(s.codecMix, { snappy: 5 })
  assert.deepEqual(seen[0], { bandwidthMbps: 42, rttMs: 7 })
  const fixed = await a.send({ file: src, to: 'B', chunkSize: 65536, codec: 'zstd' })
  assert.deepEqual(fixed.codecMix, { zstd: 5 }, 'an explicit codec wins over the model')
})
