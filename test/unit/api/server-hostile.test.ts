// The admin API under bytes nobody should send: request targets URL parsing rejects, broken request
// lines and headers, bodies that end early. Every one gets an answer (or a closed socket) and the server
// keeps serving; nothing reaches the process as an unhandled rejection.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { AdminApi } from '../../../src/api/server.ts'
import { AdminClient } from '../../../src/api/client.ts'
import { createMetrics } from '../../../src/metrics/index.ts'
import { silentLogger } from '../../../src/log/index.ts'

const TOKEN = 's3cret-token-0123456789'

/** Sends raw bytes, returns the status line of the answer ('' when the server just closed). */
async function raw (url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes))
    let got = ''
    socket.on('data', d => { got += d })
    socket.on('error', () => resolve(got.split('\r\n')[0]))
    socket.on('close', () => resolve(got.split('\r\n')[0]))
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error('no answer within 5 s')) })
  })
}

test('a target URL parsing rejects is a 400, with or without a token, and the server keeps serving', async () => {
  const rejections: unknown[] = []
  const onRejection = (r: unknown): void => { rejections.push(r) }
  process.on('unhandledRejection', onRejection)
  const api = new AdminApi({ listen: '127.0.0.1:0', token: TOKEN }, { logger: silentLogger, metrics: createMetrics().api })
  api.route('GET', '/v1/echo', req => ({ json: { q: req.query.get('q') } }))
  api.route('POST', '/v1/echo', req => ({ json: req.body ?? null }))
  const url = await api.start()
  try {
    for (const target of ['http://[/', 'http://[::1/x', 'http://a:99999/', 'http://%zz/', '//[', 'http://[/v1/echo']) {
      assert.match(await raw(url, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1\.1 4\d\d/, target)
      assert.match(await raw(url, `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`), /^HTTP\/1\.1 4\d\d/, `${target} with the token`)
    }
    for (const junk of ['GARBAGE\r\n\r\n', 'GET / HTTP/1.1\r\nHost\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `POST /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n{"a":`,
      `POST /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`, 'GET / HTTP/1.1\r\nAuthorization: Bearer \u00ff\u00fe\r\n\r\n']) {
      const status = await raw(url, junk)
      assert.ok(status === '' || /^HTTP\/1\.1 4\d\d/.test(status), `${JSON.stringify(junk)} answered ${status}`)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.deepEqual(rejections, [], 'no unhandled rejections')
    assert.deepEqual(await new AdminClient({ url, token: TOKEN }).request('GET', '/v1/echo?q=still'), { q: 'still' })
  } finally {
    process.off('unhandledRejection', onRejection)
    await api.stop()
  }
})
