// Two holes of the libp2p host, closed: an oversized frame on a consensus channel is refused alone (the
// link stays up and later frames arrive), and strangers cannot take the validators' connection slots
// (observers have their own bounded budget; validators are always admitted).
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { createIdentity } from '../../../src/net/identity.ts'
import { NetHost, type NetHostOptions } from '../../../src/net/host.ts'
import { freePort } from '../../../src/cli/devnet.ts'
import { createMetrics } from '../../../src/metrics/index.ts'
import { silentLogger } from '../../../src/log/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'nc-host-holes-'))
const started: NetHost[] = []
after(async () => {
  await Promise.all(started.map(h => h.stop()))
  rmSync(dir, { recursive: true, force: true })
})

async function identities (n: number) {
  return await Promise.all(Array.from({ length: n }, async (_, i) => {
    const identity = await createIdentity(mkdtempSync(join(dir, `id${i}-`)))
    return { identity, addr: `/ip4/127.0.0.1/tcp/${await freePort()}` }
  }))
}

async function until<T> (what: string, fn: () => T | null | undefined | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v != null && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

test('an oversized channel frame is refused alone: the link stays and the next frames arrive', async () => {
  const [a, b] = await identities(2)
  const validators = [a, b].map(x => ({ peerId: x.identity.peerId, addr: x.addr }))
  const inbox: number[] = []
  const metricsB = createMetrics()
  const mk = (x: typeof a, extra: Partial<NetHostOptions>, registry = createMetrics()) => {
    const host = new NetHost({ identity: x.identity, listen: [x.addr], bootstrap: [], validators, mdns: false, ...extra }, { logger: silentLogger, metrics: registry.net })
    started.push(host)
    return host
  }
  const hostA = mk(a, {})
  const hostB = mk(b, { maxFrameBytes: 64 * 1024 }, metricsB)
  const chanA = hostA.registerChannel({ protocol: '/t/c/1', validatorsOnly: true, onMessage: () => {} })
  hostB.registerChannel({ protocol: '/t/c/1', validatorsOnly: true, onMessage: (_from, p) => inbox.push(p[0]) })
  await Promise.all([hostA.start(), hostB.start()])
  await until('the channel to open', () => hostA.peers().find(p => p.id === b.identity.peerId)?.channels['/t/c/1'] === 'open')

  chanA.send(b.identity.peerId, Uint8Array.of(1))
  chanA.send(b.identity.peerId, new Uint8Array(100 * 1024).fill(0xee))
  for (let i = 2; i <= 5; i++) chanA.send(b.identity.peerId, Uint8Array.of(i))
  await until('every small frame to arrive', () => inbox.length >= 5, 5000)
  assert.deepEqual(inbox, [1, 2, 3, 4, 5])
  assert.equal(hostA.peers().find(p => p.id === b.identity.peerId)?.channels['/t/c/1'], 'open', 'the link was never dropped')
  const dropped = (await metricsB.registry.getSingleMetricAsString('novacron_frames_dropped_total').catch(() => '')) as string
  assert.match(dropped, /reason="oversized"\D*1\b/)
  // And the sender refuses to queue what its own limit forbids.
  assert.equal(chanA.send(b.identity.peerId, new Uint8Array(5 * 1024 * 1024)), false)
})

test('strangers get a bounded observer budget; a validator is still admitted', async () => {
  const [b, v, ...strangers] = await identities(5)
  const validators = [b, v].map(x => ({ peerId: x.identity.peerId, addr: x.addr }))
  const hostB = new NetHost({ identity: b.identity, listen: [b.addr], bootstrap: [], validators, mdns: false, maxObserverConnections: 2 }, { logger: silentLogger, metrics: createMetrics().net })
  started.push(hostB)
  await hostB.start()
  // Each stranger thinks B is a fellow validator and keeps dialling it.
  for (const s of strangers) {
    const host = new NetHost({ identity: s.identity, listen: [s.addr], bootstrap: [], validators: [{ peerId: s.identity.peerId, addr: s.addr }, validators[0]], mdns: false }, { logger: silentLogger, metrics: createMetrics().net })
    started.push(host)
    await host.start()
  }
  const observers = (): number => hostB.peers().filter(p => p.connected && !p.validator).length
  await until('two observers', () => observers() >= 2)
  await sleep(1500) // the third keeps redialling meanwhile
  assert.equal(observers(), 2, 'the third stranger is refused')
  const hostV = new NetHost({ identity: v.identity, listen: [v.addr], bootstrap: [], validators, mdns: false }, { logger: silentLogger, metrics: createMetrics().net })
  started.push(hostV)
  await hostV.start()
  await until('the validator to connect', () => hostB.peers().find(p => p.id === v.identity.peerId)?.connected)
})
