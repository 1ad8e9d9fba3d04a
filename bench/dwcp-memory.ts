// DWCP over the in-memory transport (no node needed): link fill against a bandwidth cap with latency,
// bytes sent per codec and for `auto` on ../shared/data/compression, and a delta of an image with 1% of
// its 4 KiB blocks changed against a full send. Prints tables, or one JSON document with --json.
//   npx node bench/dwcp-memory.ts [--image-mib 256] [--json]
import { copyFile, mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createCipheriv, createHash } from 'node:crypto'
import { MemoryNetwork, TransferReceiver, TransferSender } from '../src/dwcp/index.ts'
import type { CodecChoice, LinkProfile } from '../src/dwcp/index.ts'
import { sharedDataDir } from '../test/helpers/data.ts'

const { values } = parseArgs({ options: { 'image-mib': { type: 'string', default: '256' }, json: { type: 'boolean', default: false } } })
const root = await mkdtemp(join(tmpdir(), 'dwcp-bench-'))
const log = (s: string): void => { if (!values.json) console.log(s) }

function keystream (seed: string): (n: number) => Buffer {
  const c = createCipheriv('aes-128-ctr', createHash('sha256').update(seed).digest().subarray(0, 16), Buffer.alloc(16))
  return (n) => c.update(Buffer.alloc(n))
}

async function randomFile (path: string, bytes: number, seed: string): Promise<void> {
  const fh = await open(path, 'w')
  const rnd = keystream(seed)
  for (let done = 0; done < bytes; done += 4 << 20) await fh.write(rnd(Math.min(4 << 20, bytes - done)))
  await fh.close()
}

let peerSeq = 0
async function link (profile: LinkProfile): Promise<{ sender: TransferSender, dir: string, close: () => Promise<void> }> {
  const net = new MemoryNetwork(profile)
  const dir = join(root, `recv-${peerSeq++}`)
  const receiver = new TransferReceiver({ dir, durable: false })
  await receiver.init()
  net.listen('B', (s, from) => { void receiver.handleStream(s, from) })
  return { sender: new TransferSender({ dialer: net.dialer('A'), workDir: root }), dir, close: async () => await receiver.close() }
}

// 1. Link fill.
const fill: Array<{ mbps: number, rttMs: number, streams: number, achievedMbps: number, pctOfCap: number }> = []
const fillFile = join(root, 'fill.bin')
await randomFile(fillFile, 48e6, 'fill')
for (const [mbps, rttMs] of [[100, 20], [1000, 2], [1000, 40]]) {
  const l = await link({ bandwidthMbps: mbps, latencyMs: rttMs / 2, highWaterMark: 256 * 1024 })
  const acks: Array<[number, number]> = []
  const s = await l.sender.send({ file: fillFile, to: 'B', codec: 'none', link: { bandwidthMbps: mbps, rttMs }, onProgress: (p) => acks.push([performance.now(), p.doneBytes]) })
  const [[t0, b0], [t1, b1]] = [acks[0], acks[acks.length - 1]]
  const achievedMbps = ((b1 - b0) * 8) / 1e6 / ((t1 - t0) / 1000)
  fill.push({ mbps, rttMs, streams: s.streams, achievedMbps, pctOfCap: (100 * achievedMbps) / mbps })
  await l.close()
}
log('link fill (in-memory link, data phase)\n  cap Mbit/s  RTT ms  streams  achieved Mbit/s  % of cap')
for (const f of fill) log(`  ${String(f.mbps).padStart(10)}  ${String(f.rttMs).padStart(6)}  ${String(f.streams).padStart(7)}  ${f.achievedMbps.toFixed(0).padStart(15)}  ${f.pctOfCap.toFixed(1).padStart(8)}`)

// 2. Codecs on the compression corpus, over a 100 Mbit/s link.
const codecs: CodecChoice[] = ['none', 'zstd', 'lz4', 'snappy', 'auto']
const corpus: Array<{ file: string, raw: number, sent: Record<string, number>, autoVsBest: number }> = []
const corpusDir = join(sharedDataDir, 'compression')
const files: string[] = []
for (const sub of await readdir(corpusDir).catch(() => [])) {
  for (const f of await readdir(join(corpusDir, sub))) if ((await stat(join(corpusDir, sub, f))).isFile()) files.push(join(sub, f))
}
const l100 = await link({})
for (const f of files) {
  const sent: Record<string, number> = {}
  let raw = 0
  for (const codec of codecs) {
    const s = await l100.sender.send({ file: join(corpusDir, f), to: 'B', name: `${codec}-${f.replace('/', '-')}`, codec, link: { bandwidthMbps: 100, rttMs: 20 } })
    sent[codec] = s.sentBytes
    raw = s.rawBytes
  }
  const best = Math.min(sent.zstd, sent.lz4, sent.snappy, sent.none)
  corpus.push({ file: f, raw, sent, autoVsBest: sent.auto / best })
}
await l100.close()
log(`\nbytes sent per codec, ${files.length} files of ${corpusDir} (100 Mbit/s link for auto)`)
log(`  ${'file'.padEnd(34)} ${'raw'.padStart(9)} ${codecs.map((c) => c.padStart(9)).join(' ')}  auto/best`)
for (const c of corpus) log(`  ${c.file.padEnd(34)} ${String(c.raw).padStart(9)} ${codecs.map((k) => String(c.sent[k]).padStart(9)).join(' ')}  ${c.autoVsBest.toFixed(3)}`)
if (files.length === 0) log('  (corpus not found; skipped)')

// 3. Delta of an image with 1% of its 4 KiB blocks changed.
const imageBytes = Number(values['image-mib']) * 1024 * 1024
const v1 = join(root, 'v1.img')
const v2 = join(root, 'v2.img')
await randomFile(v1, imageBytes, 'image')
await copyFile(v1, v2)
const fh = await open(v2, 'r+')
const rnd = keystream('changes')
const blocks = imageBytes / 4096
const changed = Math.round(blocks * 0.01)
const picks = rnd(changed * 4)
for (let i = 0; i < changed; i++) await fh.write(rnd(4096), 0, 4096, (picks.readUInt32BE(i * 4) % blocks) * 4096)
await fh.close()
const ld = await link({})
await mkdir(ld.dir, { recursive: true })
await copyFile(v1, join(ld.dir, 'disk.img'))
const full = await ld.sender.send({ file: v2, to: 'B', name: 'full.img', codec: 'auto' })
const delta = await ld.sender.sendDelta({ file: v2, to: 'B', name: 'disk.img', baseName: 'disk.img', codec: 'auto' })
await ld.close()
const deltaResult = {
  imageBytes,
  changedBlocks: changed,
  full: { sentBytes: full.sentBytes, seconds: full.seconds },
  delta: { sentBytes: delta.sentBytes, seconds: delta.seconds, signatureBytes: delta.delta?.signatureBytes ?? 0, pctOfFull: (100 * delta.sentBytes) / full.sentBytes }
}
log(`\ndelta: ${Number(values['image-mib'])} MiB random image, ${changed} of ${blocks} 4 KiB blocks changed (1%)`)
log(`  full:  ${full.sentBytes} B in ${full.seconds.toFixed(2)} s`)
log(`  delta: ${delta.sentBytes} B in ${delta.seconds.toFixed(2)} s (${deltaResult.delta.pctOfFull.toFixed(2)}% of full; receiver's signature ${deltaResult.delta.signatureBytes} B)`)

if (values.json) console.log(JSON.stringify({ fill, corpus, delta: deltaResult }, null, 2))
await rm(root, { recursive: true, force: true })
