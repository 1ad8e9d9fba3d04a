import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createIdentity } from '../../../src/net/identity.ts'
import { NetHost, type Channel } from '../../../src/net/host.ts'
import { RequestError } from '../../../src/net/request.ts'
import { freePort } from '../../../src/cli/devnet.ts'
import { createMetrics } from '../../../src/metrics/index.ts'
import { silentLogger } from '../../../src/log/index.ts'

describe('two hosts in one process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nc-host-'))
  const hosts: NetHost[] = []
  const inbox: Array<{ from: string, payload: Uint8Array }> = []
  let channelA: Channel
  let idB: string

  before(async () => {
    const ids = await Promise.all(['a', 'b'].map(n => createIdentity(mkdtempSync(join(dir, n)))))
    const validators = await Promise.all(ids.map(async i => ({ peerId: i.peerId, addr: `/ip4/127.0.0.1/tcp/${await freePort()}` })))
    idB = ids[1].peerId
    for (const [i, identity] of ids.entries()) {
      const host = new NetHost({ identity, listen: [validators[i].addr], bootstrap: [], validators, mdns: false }, { logger: silentLogger, metrics: createMetrics().net })
      const channel = host.registerChannel({ protocol: '/t/chan/1', validatorsOnly: true, onMessage: (from, payload) => inbox.push({ from, payload }) })
      if (i === 0) channelA = channel
      host.registerRequestHandler({
        protocol: '/t/req/1',
        validatorsOnly: true,
        maxRequestBytes: 1024,
        handle: async (_from, req) => {
          if (req[0] === 0xee) throw new Error('handler refuses')
          return req[0] === 0xbb ? new Uint8Array(20 * 1024 * 1024).fill(req[1]) : Uint8Array.from([...req].reverse())
        }
      })
      await host.start()
      hosts.push(host)
    }
    const deadline = Date.now() + 10_000
    while (!hosts[0].peers().some(p => p.connected && p.channels['/t/chan/1'] === 'open') && Date.now() < deadline) await sleep(20)
  })

  after(async () => {
    await Promise.all(hosts.map(h => h.stop()))
    rmSync(dir, { recursive: true, force: true })
  })

  test('channel messages arrive in order with the sender authenticated', async () => {
    for (let i = 0; i < 1000; i++) channelA.send(idB, Uint8Array.of(i >> 8, i & 0xff))
    const deadline = Date.now() + 10_000
    while (inbox.length < 1000 && Date.now() < deadline) await sleep(10)
    assert.equal(inbox.length, 1000)
    assert.ok(inbox.every((m, i) => m.from === hosts[0].peerId && ((m.payload[0] << 8) | m.payload[1]) === i))
  })

  test('requests get answers, large ones too', async () => {
    const answer = await hosts[0].request(idB, '/t/req/1', Uint8Array.of(1, 2, 3), { timeoutMs: 5000, maxResponseBytes: 1024 })
    assert.deepEqual([...answer], [3, 2, 1])
    const big = await hosts[0].request(idB, '/t/req/1', Uint8Array.of(0xbb, 7), { timeoutMs: 20_000, maxResponseBytes: 32 * 1024 * 1024 })
    assert.equal(big.byteLength, 20 * 1024 * 1024)
    assert.ok(big.every(b => b === 7))
  })

  test('oversized requests, oversized answers and failing handlers are errors, not crashes', async () => {
    await assert.rejects(hosts[0].request(idB, '/t/req/1', randomBytes(4096), { timeoutMs: 5000, maxResponseBytes: 1024 }), RequestError)
    await assert.rejects(hosts[0].request(idB, '/t/req/1', Uint8Array.of(0xbb, 1), { timeoutMs: 5000, maxResponseBytes: 1024 }), (err: RequestError) => err.code === 'too-large')
    await assert.rejects(hosts[0].request(idB, '/t/req/1', Uint8Array.of(0xee), { timeoutMs: 5000, maxResponseBytes: 1024 }), RequestError)
    await assert.rejects(hosts[0].request('12D3KooWNotConnected', '/t/req/1', Uint8Array.of(1), { timeoutMs: 1000, maxResponseBytes: 1024 }), (err: RequestError) => err.code === 'closed')
    const again = await hosts[0].request(idB, '/t/req/1', Uint8Array.of(9, 8), { timeoutMs: 5000, maxResponseBytes: 1024 })
    assert.deepEqual([...again], [8, 9], 'still serving')
  })
})
