import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { pair, sha256Of, writeFileOf } from './fixtures.ts'
import type { Kind } from './fixtures.ts'

const MB100 = 100 * 1000 * 1000

for (const kind of ['vm', 'random'] as Kind[]) {
  test(`a 100 MB ${kind} file streams over 4 streams with a bounded window`, async (t) => {
    const p = await pair(t, { link: { highWaterMark: 2 * 1024 * 1024 } })
    const src = join(p.srcDir, 'large.img')
    const hash = await writeFileOf(src, kind, MB100, 'large')
    let progressEvents = 0
    const s = await p.sender.send({ file: src, to: 'B', streams: 4, chunkSize: 1024 * 1024, codec: 'auto', onProgress: () => { progressEvents++ } })
    assert.equal(s.rawBytes, MB100)
    assert.equal(s.streams, 4)
    if (kind === 'vm') assert.ok(s.sentBytes < MB100 / 5, 'sparse data compresses')
    assert.equal(progressEvents, s.chunks)
    // Memory: the sender holds at most `window` chunks (each read from disk when sent), the transport
    // its high-water mark per stream, the receiver one chunk per stream.
    assert.ok(s.peakInFlight <= s.window, `${s.peakInFlight} chunks in flight, window ${s.window}`)
    assert.ok(s.window * s.chunkSize <= 16 * 1024 * 1024, 'the window is a few MB, whatever the file size')
    t.diagnostic(`100 MB ${kind}: ${s.seconds.toFixed(2)} s, ${s.MBps.toFixed(0)} MB/s, ratio ${s.ratio.toFixed(3)}, codecs ${JSON.stringify(s.codecMix)}`)
    assert.deepEqual(await sha256Of(join(p.recvDir, 'large.img')), hash)
  })
}
