import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdminApi, ApiError } from '../../../src/api/server.ts'
import { AdminClient } from '../../../src/api/client.ts'
import { NovacronError } from '../../../src/config/errors.ts'
import { createMetrics } from '../../../src/metrics/index.ts'
import { silentLogger } from '../../../src/log/index.ts'

async function serve (token: string | null) {
  const api = new AdminApi({ listen: '127.0.0.1:0', token }, { logger: silentLogger, metrics: createMetrics().api })
  api.route('GET', '/v1/echo', req => ({ json: { q: req.query.get('q') } }))
  api.route('POST', '/v1/put', req => {
    const body = req.body as { key?: unknown }
    if (typeof body?.key !== 'string') throw new ApiError(400, 'bad_request', 'key must be a string')
    return { json: { ok: body.key } }
  })
  api.route('GET', '/v1/slow', () => { throw new NovacronError('commitTimeout', 'no commit within 1 s') })
  const url = await api.start()
  return { api, url }
}

test('the client talks to the server with the right token', async () => {
  const { api, url } = await serve('s3cret-token-0123456789')
  try {
    const client = new AdminClient({ url, token: 's3cret-token-0123456789' })
    assert.deepEqual(await client.request('GET', '/v1/echo?q=hi'), { q: 'hi' })
    assert.deepEqual(await client.request('POST', '/v1/put', { key: 'a' }), { ok: 'a' })
  } finally { await api.stop() }
})

test('errors map onto the exit-code kinds of CLI.md', async () => {
  const { api, url } = await serve('s3cret-token-0123456789')
  try {
    const kind = async (p: Promise<unknown>): Promise<string> => { try { await p; return 'ok' } catch (err) { return (err as NovacronError).kind } }
    assert.equal(await kind(new AdminClient({ url, token: 'wrong-token-0123456789' }).request('GET', '/v1/echo')), 'unauthorized')
    assert.equal(await kind(new AdminClient({ url, token: null }).request('GET', '/v1/echo')), 'unauthorized')
    const client = new AdminClient({ url, token: 's3cret-token-0123456789' })
    assert.equal(await kind(client.request('POST', '/v1/put', { key: 1 })), 'usage')
    assert.equal(await kind(client.request('GET', '/v1/nope')), 'usage')
    assert.equal(await kind(client.request('GET', '/v1/slow')), 'commitTimeout')
  } finally { await api.stop() }
  const kindOf = await new AdminClient({ url, token: 'x' }).request('GET', '/v1/echo').catch((err: NovacronError) => err.kind)
  assert.equal(kindOf, 'unreachable', 'a stopped server is unreachable')
})

test('oversized and non-JSON bodies are refused', async () => {
  const { api, url } = await serve(null)
  try {
    const big = await fetch(url + '/v1/put', { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) })
    assert.equal(big.status, 413)
    const garbage = await fetch(url + '/v1/put', { method: 'POST', body: '{nope' })
    assert.equal(garbage.status, 400)
    assert.equal(((await garbage.json()) as { error: { code: string } }).error.code, 'bad_json')
  } finally { await api.stop() }
})

test('serving beyond loopback without a token is refused', () => {
  assert.throws(() => new AdminApi({ listen: '0.0.0.0:0', token: null }, { logger: silentLogger, metrics: createMetrics().api }), (err: NovacronError) => err.kind === 'config')
  assert.doesNotThrow(() => new AdminApi({ listen: '0.0.0.0:0', token: 'a-long-enough-token' }, { logger: silentLogger, metrics: createMetrics().api }))
})
