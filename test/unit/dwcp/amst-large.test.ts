import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { pair, sha256Of, writeFileOf } from './fixtures.ts'
import type { Kind } from './fixtures.ts'

const MB100 = 100 * 1000 * 1000

// Sampling after a full collection measures what is live, not garbage the GC has not reached yet.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

for (const kind of ['vm', 'random'] as Kind[]) {
  test(`a 100 MB ${kind} file streams over 4 streams with a bounded window`, async (t) => {
    const p = await pair(t, { link: { highWaterMark: 2 * 1024 * 1024 } })
    const src = join(p.srcDir, 'large.img')
    const hash = await writeFileOf(src, kind, MB100, 'large')
    let peak = 0
    gc()
    const base = process.memoryUsage().arrayBuffers
    const sample = setInterval(() => {
      gc()
      peak = Math.max(peak, process.memoryUsage().arrayBuffers)
    }, 50)
    let progressEvents = 0
    try {
      const s = await p.sender.send({ file: src, to: 'B', streams: 4, chunkSize: 1024 * 1024, codec: 'auto', onProgress: () => { progressEvents++ } })
      assert.equal(s.rawBytes, MB100)
      assert.equal(s.streams, 4)
      if (kind === 'vm') assert.ok(s.sentBytes < MB100 / 5, 'sparse data compresses')
      assert.equal(progressEvents, s.chunks)
      assert.ok(s.peakInFlight <= s.window, `${s.peakInFlight} chunks in flight, window ${s.window}`)
      assert.ok(s.window * s.chunkSize <= 16 * 1024 * 1024, 'the window is a few MB, whatever the file size')
      t.diagnostic(`100 MB ${kind}: ${s.seconds.toFixed(2)} s, ${s.MBps.toFixed(0)} MB/s, ratio ${s.ratio.toFixed(3)}, codecs ${JSON.stringify(s.codecMix)}`)
    } finally {
      clearInterval(sample)
    }
    assert.deepEqual(await sha256Of(join(p.recvDir, 'large.img')), hash)
    // Buffers sampled after a full GC (V8 may free some lazily, so this is noisy): well below the file.
    t.diagnostic(`peak live buffers ${((peak - base) / 1e6).toFixed(0)} MB`)
    assert.ok(peak - base < MB100 / 2, `peak live buffers ${((peak - base) / 1e6).toFixed(0)} MB`)
  })
}
