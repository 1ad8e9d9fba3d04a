// `/v1/log/follow` streams the log with backpressure: a reader that stops reading holds back how much of
// the log the node reads and buffers, and one that reads gets every row once, in order.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { AdminApi } from '../../../src/api/server.ts'
import { registerClientRoutes } from '../../../src/node/client-routes.ts'
import { createMetrics } from '../../../src/metrics/index.ts'
import { silentLogger } from '../../../src/log/index.ts'

let ROWS = 20_000
const TOKEN = 's3cret-token-0123456789'

test('a paused reader holds the stream back; a reading one gets the whole log in order', async () => {
  let fetched = 0
  const txIds = Array.from({ length: 40 }, (_, i) => new Uint8Array(32).fill(i))
  const storage = {
    head: () => ({ height: ROWS }),
    logRange: (from: number, limit: number) => {
      const out = []
      for (let h = Math.max(from, 1); h <= ROWS && out.length < limit; h++) out.push({ height: h, batchId: new Uint8Array(32), txIds, stateRoot: new Uint8Array(32), committedAt: 0 })
      fetched += out.length
      return out
    }
  }
  const listeners = new Set<() => void>()
  const consensus = { onCommit: (l: () => void) => { listeners.add(l); return () => listeners.delete(l) } }
  const api = new AdminApi({ listen: '127.0.0.1:0', token: TOKEN }, { logger: silentLogger, metrics: createMetrics().api })
  registerClientRoutes(api, { consensus: consensus as any, storage: storage as any })
  const { port } = new URL(await api.start())
  const socket = connect(Number(port), '127.0.0.1')
  try {
    await new Promise<void>(resolve => socket.once('connect', () => resolve()))
    socket.pause()
    socket.write(`GET /v1/log/follow?from=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`)
    // The event loop stays free while the reader is paused (timers still fire), and the node stops reading the log.
    let ticks = 0
    const ticker = setInterval(() => { ticks++ }, 10)
    await new Promise(resolve => setTimeout(resolve, 1000))
    clearInterval(ticker)
    const whilePaused = fetched
    assert.ok(ticks > 10, `the event loop ran (${ticks} ticks)`)
    assert.ok(whilePaused < ROWS / 4, `read ${whilePaused} of ${ROWS} rows for a reader that read nothing`)
    // Now read everything.
    let text = ''
    let lines = 0
    let last = 0
    let inOrder = true
    await new Promise<void>(resolve => {
      socket.on('data', d => {
        text += d.toString('utf8')
        let i
        while ((i = text.indexOf('\n')) >= 0) {
          const line = text.slice(0, i).trim()
          text = text.slice(i + 1)
          const m = /^\{"height":(\d+),/.exec(line)
          if (m == null) continue
          const h = Number(m[1])
          if (h !== last + 1) inOrder = false
          last = h
          lines++
          if (h === 20_001) resolve()
          if (h === 20_000) {
            // Caught up: a commit after that arrives through the commit listener.
            ROWS = 20_001
            for (const l of listeners) l()
          }
        }
      })
      socket.resume()
    })
    assert.equal(lines, 20_001, 'the whole log, then the commit that came after catching up')
    assert.ok(inOrder, 'rows in order, each once')
  } finally {
    socket.destroy()
    await api.stop()
  }
})
