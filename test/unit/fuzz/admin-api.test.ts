// Fuzzes the admin API's bodies and headers over real sockets: random JSON and non-JSON bodies to every
// client route, random header sets (broken bearer tokens, content lengths, encodings). Every request gets
// a 2xx/4xx answer (or a closed socket for bytes that are not HTTP), never a 5xx or an unhandled
// rejection, and the server keeps serving. NOVACRON_FUZZ_API_RUNS sets the count (2,000 inside `npm test`).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import fc from 'fast-check'
import { AdminApi } from '../../../src/api/server.ts'
import { AdminClient } from '../../../src/api/client.ts'
import { registerClientRoutes } from '../../../src/node/client-routes.ts'
import { createMetrics } from '../../../src/metrics/index.ts'
import { silentLogger } from '../../../src/log/index.ts'

const TOKEN = 's3cret-token-0123456789'
const runs = Number(process.env.NOVACRON_FUZZ_API_RUNS ?? 2000)
const seed = Number(process.env.NOVACRON_FUZZ_SEED ?? (process.env.NOVACRON_FUZZ_RANDOM === '1' ? Date.now() % 2 ** 31 : 20261202))

function fakes () {
  const receipt = (txId: string) => ({ ok: true, height: 1, index: 0, stateRoot: '00', txId })
  let n = 0
  const consensus = {
    submit: (txs: Uint8Array[]) => txs.map(() => { const txId = String(n++); return { txId, committed: Promise.resolve(receipt(txId)) } }),
    forget: () => {},
    onCommit: () => () => {}
  }
  const storage = {
    head: () => ({ height: 1 }),
    kvGet: () => ({ value: null, height: 1 }),
    kvList: () => ({ entries: [], height: 1 }),
    logRange: () => []
  }
  return { consensus: consensus as any, storage: storage as any }
}

async function rawStatus (port: number, bytes: Buffer): Promise<number | null> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes))
    let got = ''
    const done = (): void => { const m = /^HTTP\/1\.1 (\d{3})/.exec(got); resolve(m == null ? null : Number(m[1])) }
    socket.on('data', d => { got += d.toString('latin1') })
    socket.on('error', done)
    socket.on('close', done)
    socket.setTimeout(5000, () => socket.destroy())
  })
}

const ROUTES = ['POST /v1/kv/put', 'POST /v1/kv/del', 'GET /v1/kv/get', 'GET /v1/kv/list', 'POST /v1/tx', 'GET /v1/log', 'GET /v1/nope', 'DELETE /v1/kv/put']
const QUERIES = ['', '?key=a', '?key=', '?key=%ff', '?from=-1&limit=x', '?from=1e309', '?prefix=a&limit=99999999&after=%00', '?linearizable=1&key=a', '?key=a&key=b']
const token = fc.oneof(fc.constant(`Bearer ${TOKEN}`), fc.constant(`Bearer ${TOKEN}x`), fc.constant('Bearer '), fc.constant(`bearer ${TOKEN}`), fc.string({ maxLength: 40 }).map(s => s.replace(/[\r\n]/g, '')))
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map(v => JSON.stringify(v)),
  fc.record({ key: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()), value: fc.oneof(fc.string({ maxLength: 100 }), fc.jsonValue()), wait: fc.oneof(fc.boolean(), fc.jsonValue()), timeoutMs: fc.oneof(fc.double(), fc.integer(), fc.string()) }, { requiredKeys: [] }).map(v => JSON.stringify(v)),
  fc.record({ commands: fc.oneof(fc.array(fc.record({ type: fc.constantFrom('kv.put', 'kv.del', 'node.join', 'noop', 'x', 'workload.submit'), key: fc.string({ maxLength: 20 }), value: fc.oneof(fc.string(), fc.integer()), spec: fc.jsonValue() }, { requiredKeys: [] }), { maxLength: 5 }), fc.jsonValue()) }).map(v => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map(b => Buffer.from(b).toString('latin1'))
)
const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  query: fc.constantFrom(...QUERIES),
  auth: token,
  body,
  lengthSkew: fc.constantFrom(0, 0, 0, -1, 1, 1000),
  chunked: fc.boolean(),
  extra: fc.array(fc.tuple(fc.constantFrom('content-type', 'expect', 'connection', 'x-a', 'content-encoding', 'host'), fc.string({ maxLength: 30 }).map(s => s.replace(/[\r\n]/g, ''))), { maxLength: 3 })
})

test(`admin API: ${runs} fuzzed requests, never a 5xx, never a crash`, async () => {
  const rejections: unknown[] = []
  const onRejection = (r: unknown): void => { rejections.push(r) }
  process.on('unhandledRejection', onRejection)
  const api = new AdminApi({ listen: '127.0.0.1:0', token: TOKEN }, { logger: silentLogger, metrics: createMetrics().api })
  registerClientRoutes(api, fakes())
  const url = await api.start()
  const port = Number(new URL(url).port)
  try {
    await fc.assert(fc.asyncProperty(request, async r => {
      const [method, path] = r.route.split(' ')
      const payload = Buffer.from(r.body, 'latin1')
      const headers = [`${method} ${path}${r.query} HTTP/1.1`, 'Host: x', `Authorization: ${r.auth}`, ...r.extra.map(([k, v]) => `${k}: ${v}`)]
      let wire: Buffer
      if (r.chunked) wire = Buffer.concat([Buffer.from([...headers, 'Transfer-Encoding: chunked', '', ''].join('\r\n')), Buffer.from(payload.length.toString(16) + '\r\n'), payload, Buffer.from('\r\n0\r\n\r\n')])
      else wire = Buffer.concat([Buffer.from([...headers, `Content-Length: ${Math.max(0, payload.length + r.lengthSkew)}`, 'Connection: close', '', ''].join('\r\n')), payload])
      const status = await rawStatus(port, wire)
      assert.ok(status === null || status < 500, `status ${status} for ${JSON.stringify(r).slice(0, 300)}`)
    }), { numRuns: runs, seed, endOnFailure: true })
    assert.deepEqual(rejections, [])
    assert.deepEqual(await new AdminClient({ url, token: TOKEN }).request('GET', '/v1/kv/get?key=a'), { key: 'a', value: null, height: 1 })
  } finally {
    process.off('unhandledRejection', onRejection)
    await api.stop()
  }
})
