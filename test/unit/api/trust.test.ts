// GET /v1/trust (src/api/trust.ts) with a fake TrustSource: the latest or a chosen epoch, bad and unknown
// epochs, a node without trust (another protocol), and the client's exit-code kinds for each.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdminApi } from '../../../src/api/server.ts'
import { AdminClient } from '../../../src/api/client.ts'
import { registerTrustRoutes, trustJson, trustSourceOf } from '../../../src/api/trust.ts'
import type { TrustSource } from '../../../src/api/trust.ts'
import type { TrustEpochJson } from '../../../src/api/types.ts'
import type { NovacronError } from '../../../src/config/errors.ts'
import { silentLogger } from '../../../src/log/index.ts'
import { createMetrics } from '../../../src/metrics/index.ts'
import { fakeTrustSource } from '../../helpers/trust-source.ts'

async function serve (source: TrustSource | null, protocol = 'tpbft'): Promise<{ api: AdminApi, client: AdminClient }> {
  const api = new AdminApi({ listen: '127.0.0.1:0', token: null }, { logger: silentLogger, metrics: createMetrics().api })
  registerTrustRoutes(api, { protocol, source: () => source })
  const url = await api.start()
  return { api, client: new AdminClient({ url, token: null }) }
}

const failure = async (p: Promise<unknown>): Promise<{ kind: string, message: string }> => {
  try { await p } catch (err) { return { kind: (err as NovacronError).kind, message: (err as Error).message } }
  return { kind: 'ok', message: '' }
}

test('the latest epoch by default, another with ?epoch=E', async () => {
  const { api, client } = await serve(fakeTrustSource())
  try {
    const latest = await client.request<TrustEpochJson>('GET', '/v1/trust')
    assert.equal(latest.epoch, 1)
    assert.deepEqual(latest.epochs, [0, 1])
    assert.equal(latest.ranking.length, 5)
    assert.deepEqual(latest.evidenceEpochs, { from: 0, to: 0 })
    const e = latest.ranking.find((n) => n.id === 'node-e')!
    assert.equal(e.convicted, true)
    assert.equal(e.trust, 0)
    assert.equal(e.evidence.convictedAt, 0)
    assert.equal(latest.ranking[latest.ranking.length - 1].id, 'node-e', 'the convicted rank last')
    const c = latest.ranking.find((n) => n.id === 'node-c')!
    assert.equal(c.evidence.innerComplaints, 3)
    assert.equal(c.evidence.agreements, 4, 'one agreement per peer and epoch')
    assert.equal(c.evidence.coSigned, 16)
    assert.ok(latest.ranking.indexOf(c) > latest.ranking.findIndex((n) => n.id === 'node-a'))
    assert.ok(Math.abs(latest.ranking.reduce((s, n) => s + n.trust, 0) - 1) < 1e-6)
    assert.deepEqual(latest.ranking.filter((n) => n.windows.includes(0)).map((n) => n.id).sort(), [...latest.groups[0]].sort())
    const first = await client.request<TrustEpochJson>('GET', '/v1/trust?epoch=0')
    assert.equal(first.epoch, 0)
    assert.equal(first.evidenceEpochs, null)
    assert.match(first.hash, /^[0-9a-f]{64}$/)
    assert.notEqual(first.hash, latest.hash)
  } finally { await api.stop() }
})

test('bad and unknown epochs are usage errors with a reason', async () => {
  const { api, client } = await serve(fakeTrustSource())
  try {
    for (const bad of ['-1', 'x', '1.5', '1e3', '9'.repeat(20)]) {
      const r = await failure(client.request('GET', `/v1/trust?epoch=${encodeURIComponent(bad)}`))
      assert.equal(r.kind, 'usage', bad)
      assert.match(r.message, /non-negative integer/)
    }
    const r = await failure(client.request('GET', '/v1/trust?epoch=7'))
    assert.equal(r.kind, 'usage')
    assert.match(r.message, /no configuration of epoch 7 \(it holds 0\.\.1\)/)
  } finally { await api.stop() }
})

test('a node running another protocol answers 404 with the reason', async () => {
  const { api, client } = await serve(null, 'pbft')
  try {
    const r = await failure(client.request('GET', '/v1/trust'))
    assert.equal(r.kind, 'usage')
    assert.equal(r.message, 'this cluster runs pbft; trust applies to tpbft')
  } finally { await api.stop() }
  const empty = await serve({ epochs: () => [], epoch: () => undefined })
  try {
    assert.match((await failure(empty.client.request('GET', '/v1/trust'))).message, /no epoch configuration yet/)
  } finally { await empty.api.stop() }
})

test('trustSourceOf finds a protocol\'s trustSource() and nothing else', () => {
  const source = fakeTrustSource()
  assert.equal(trustSourceOf({ trustSource: () => source }), source)
  assert.equal(trustSourceOf({ trustSource: () => null }), null)
  assert.equal(trustSourceOf({}), null)
  assert.equal(trustSourceOf(undefined), null)
  assert.equal(trustSourceOf({ trustSource: 3 }), null)
  // The JSON is plain data: it survives a round trip through JSON unchanged.
  const view = source.epoch(1)!
  const json = trustJson(view, source.epochs(), 'tpbft')
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json)
})
