// DWCP between two node processes in two network namespaces joined by a veth pair shaped with tbf
// (--rate-mbit) and a user-space delay proxy (--delay-ms one way; netem is not in this kernel):
//   1. throughput of an incompressible file against the cap, median of --runs;
//   2. bytes on the wire against raw for every codec and for `auto`, per file of ../shared/data/compression;
//   3. a VM-like image (--image-mib, 1024 by default) with 1% of its 4 KiB blocks changed: delta against
//      full, and rsync (daemon in the other namespace, through the same shaped and delayed path).
// Needs root (ip netns, tc) and rsync. Prints a table and a JSON document.
//   sudo npx node bench/dwcp-netns.ts [--rate-mbit 100] [--delay-ms 10] [--runs 3] [--image-mib 1024]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, copyFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { randomBytes, randomInt } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { setupPair, teardownPair } from './lib/netns.ts'
import { median } from '../src/cli/bench/stats.ts'

const { values } = parseArgs({ options: {
  'rate-mbit': { type: 'string', default: '100' }, 'delay-ms': { type: 'string', default: '10' }, runs: { type: 'string', default: '3' },
  'image-mib': { type: 'string', default: '1024' }, 'throughput-mib': { type: 'string', default: '200' }, data: { type: 'string', default: resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'compression') }
} })
const rateMbit = Number(values['rate-mbit'])
const delayMs = Number(values['delay-ms'])
const runs = Number(values.runs)
const repo = resolve(import.meta.dirname, '..')
const nodeBin = process.execPath
const cli = join(repo, 'bin', 'novacron.js')
const PREFIX = 'ncb'
const work = mkdtempSync(join(tmpdir(), 'nc-dwcp-bench-'))
const children: ChildProcess[] = []

const inNs = (ns: string, args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
const novacron = (ns: string, args: string[]): any => JSON.parse(inNs(ns, [nodeBin, cli, '--json', ...args]))
function bg (ns: string, args: string[], log: string): ChildProcess {
  const fd = openSync(log, 'a')
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', fd, fd], detached: true })
  closeSync(fd)
  children.push(child)
  return child
}

function cleanup (): void {
  for (const c of children) { try { process.kill(-(c.pid as number), 'SIGKILL') } catch { /* already gone */ } }
  teardownPair(PREFIX)
  rmSync(work, { recursive: true, force: true })
}
process.on('SIGINT', () => { cleanup(); process.exit(130) })

async function main (): Promise<void> {
  const pair = setupPair(PREFIX, rateMbit)
  const dirA = join(work, 'a')
  const dirB = join(work, 'b')
  const idA = novacron(pair.a, ['init', '--data-dir', dirA])
  const idB = novacron(pair.b, ['init', '--data-dir', dirB])
  // Each node is reached through a delay proxy in the other namespace, so every connection, whoever
  // dials, crosses one proxy: RTT = 2 x delay, plus the shaped veth.
  const genesis = join(work, 'genesis.json')
  inNs(pair.a, [nodeBin, cli, 'genesis', 'create', '--cluster', 'bench', '--protocol', 'pbft', '--out', genesis,
    '--validator', `${idA.peerId}=${idA.publicKey}@/ip4/${pair.addrB}/tcp/7500`, '--validator', `${idB.peerId}=${idB.publicKey}@/ip4/${pair.addrA}/tcp/7500`])
  bg(pair.b, [nodeBin, join(repo, 'src/chaos/run/delay-proxy.ts'), `${pair.addrB}:7500`, `${pair.addrA}:7400`, String(delayMs)], join(work, 'proxy-b.log'))
  bg(pair.a, [nodeBin, join(repo, 'src/chaos/run/delay-proxy.ts'), `${pair.addrA}:7500`, `${pair.addrB}:7400`, String(delayMs)], join(work, 'proxy-a.log'))
  bg(pair.a, [nodeBin, join(repo, 'src/chaos/run/delay-proxy.ts'), `${pair.addrA}:7600`, `${pair.addrB}:8730`, String(delayMs)], join(work, 'proxy-rsync.log'))
  bg(pair.a, [nodeBin, cli, 'node', 'start', '--data-dir', dirA, '--genesis', genesis, '--listen', `/ip4/${pair.addrA}/tcp/7400`, '--admin', '127.0.0.1:7401', '--log-level', 'warn'], join(work, 'node-a.log'))
  bg(pair.b, [nodeBin, cli, 'node', 'start', '--data-dir', dirB, '--genesis', genesis, '--listen', `/ip4/${pair.addrB}/tcp/7400`, '--admin', '127.0.0.1:7401', '--log-level', 'warn'], join(work, 'node-b.log'))
  for (let i = 0; ; i++) {
    await sleep(500)
    try { if (novacron(pair.a, ['peers', '--data-dir', dirA]).some((p: any) => p.id === idB.peerId && p.connected)) break } catch { /* not up yet */ }
    if (i > 60) throw new Error(`nodes did not connect:\n${readFileSync(join(work, 'node-a.log'), 'utf8').slice(-2000)}`)
  }
  const peerLine = novacron(pair.a, ['peers', '--data-dir', dirA]).find((p: any) => p.id === idB.peerId)
  const jobs = (list: object[]): any[] => {
    const file = join(work, `jobs-${Math.random().toString(36).slice(2)}.json`)
    writeFileSync(file, JSON.stringify(list))
    return inNs(pair.a, [nodeBin, join(repo, 'bench/lib/dwcp-jobs.ts'), dirA, file]).trim().split('\n').map(l => JSON.parse(l))
  }
  const recvB = join(dirB, 'received')

  // 1. Throughput against the cap.
  const big = join(work, 'random.bin')
  writeFileSync(big, randomBytes(Number(values['throughput-mib']) * 1024 * 1024))
  const tput = jobs(Array.from({ length: runs }, (_, i) => ({ file: big, to: idB.peerId, codec: 'none', name: `random-${i}` })))
  const capMBps = rateMbit / 8
  const mbps = tput.filter(t => t.ok).map(t => t.rawBytes / t.seconds / 1e6)
  process.stderr.write(`throughput runs: ${mbps.map(x => x.toFixed(2)).join(', ')} MB/s (cap ${capMBps} MB/s)\n`)

  // 2. Codecs on the compression corpora.
  const files = existsSync(values.data) ? readdirSync(values.data, { recursive: true }).map(f => join(values.data, String(f))).filter(f => statSync(f).isFile()) : []
  const codecRows: any[] = []
  for (const file of files) {
    const out = jobs(['none', 'lz4', 'snappy', 'zstd', 'auto'].map(codec => ({ file, to: idB.peerId, codec })))
    codecRows.push({ file: file.slice(values.data.length + 1), rawBytes: out[0].rawBytes, byCodec: Object.fromEntries(out.map(o => [o.codec, { sentBytes: o.sentBytes, seconds: o.seconds }])) })
  }

  // 3. A VM-like image: runs of zeros and random data; then 1% of its 4 KiB blocks rewritten.
  const imageBytes = Number(values['image-mib']) * 1024 * 1024
  const v1 = join(work, 'vm-v1.img')
  const fd = openSync(v1, 'w')
  for (let off = 0; off < imageBytes; off += 1024 * 1024) writeSync(fd, randomInt(2) === 0 ? Buffer.alloc(1024 * 1024) : randomBytes(1024 * 1024))
  closeSync(fd)
  const v2 = join(work, 'vm-v2.img')
  copyFileSync(v1, v2)
  const blocks = imageBytes / 4096
  const changed = Math.round(blocks * 0.01)
  const fd2 = openSync(v2, 'r+')
  for (let i = 0; i < changed; i++) writeSync(fd2, randomBytes(4096), 0, 4096, randomInt(blocks) * 4096)
  closeSync(fd2)
  const [full] = jobs([{ file: v1, to: idB.peerId, codec: 'auto' }])
  const [delta] = jobs([{ file: v2, to: idB.peerId, codec: 'auto', baseName: 'vm-v1.img' }])
  const deltaOk = delta.ok && createHashOf(join(recvB, 'vm-v2.img')) === createHashOf(v2)

  // rsync: the daemon in namespace b serves a copy of v1; the client in a sends v2 onto it.
  const rsyncDir = join(work, 'rsync-b')
  execFileSync('mkdir', ['-p', rsyncDir])
  copyFileSync(v1, join(rsyncDir, 'vm.img'))
  writeFileSync(join(work, 'rsyncd.conf'), `port = 8730\naddress = ${pair.addrB}\nuse chroot = false\n[img]\npath = ${rsyncDir}\nread only = false\nuid = root\ngid = root\n`)
  bg(pair.b, ['rsync', '--daemon', '--no-detach', `--config=${join(work, 'rsyncd.conf')}`], join(work, 'rsyncd.log'))
  await sleep(1000)
  const t0 = performance.now()
  let rsyncOut: string
  try {
    rsyncOut = inNs(pair.a, ['rsync', '--stats', '--no-whole-file', '--inplace', v2, `rsync://${pair.addrA}:7600/img/vm.img`])
  } catch (err) {
    throw new Error(`rsync failed: ${String((err as { stderr?: string }).stderr ?? err)}\nrsyncd log:\n${readFileSync(join(work, 'rsyncd.log'), 'utf8').slice(-1500)}`)
  }
  const rsyncSeconds = (performance.now() - t0) / 1000
  const rsyncWire = Number(/Total bytes sent: ([\d,]+)/.exec(rsyncOut)?.[1].replaceAll(',', '') ?? NaN) + Number(/Total bytes received: ([\d,]+)/.exec(rsyncOut)?.[1].replaceAll(',', '') ?? NaN)
  const rsyncOk = createHashOf(join(rsyncDir, 'vm.img')) === createHashOf(v2)

  const report = {
    bench: 'dwcp-netns', link: { rateMbit, delayMsOneWay: delayMs, measuredRttMs: peerLine?.latencyMs ?? null, tier: peerLine?.tier ?? null },
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    throughput: { fileMiB: Number(values['throughput-mib']), runs, MBps: mbps.map(x => Math.round(x * 100) / 100), medianMBps: Math.round(median(mbps) * 100) / 100, capMBps, shareOfCap: Math.round(median(mbps) / capMBps * 1000) / 1000 },
    codecs: codecRows.map(r => {
      const best = Math.min(...['none', 'lz4', 'snappy', 'zstd'].map(c => r.byCodec[c].seconds))
      return { ...r, autoVsBestFixedTime: Math.round(r.byCodec.auto.seconds / best * 1000) / 1000 }
    }),
    delta: { imageMiB: imageBytes / 2 ** 20, changedBlocks: changed, fullSentBytes: full.sentBytes, fullSeconds: full.seconds, deltaSentBytes: delta.sentBytes, deltaSeconds: delta.seconds, deltaShareOfImage: delta.sentBytes / imageBytes, deltaCorrect: deltaOk },
    rsync: { wireBytes: rsyncWire, seconds: Math.round(rsyncSeconds * 100) / 100, shareOfImage: rsyncWire / imageBytes, correct: rsyncOk }
  }
  console.log(`link: ${rateMbit} Mbit/s, ${delayMs} ms one way (measured RTT ${report.link.measuredRttMs} ms, tier ${report.link.tier})`)
  console.log(`throughput: median ${report.throughput.medianMBps} MB/s of a ${capMBps} MB/s cap (${(report.throughput.shareOfCap * 100).toFixed(1)}%)`)
  console.log('file                                   raw        none       lz4    snappy      zstd      auto   auto/best time')
  for (const r of report.codecs) console.log(`${r.file.padEnd(34).slice(0, 34)} ${String(r.rawBytes).padStart(9)} ${['none', 'lz4', 'snappy', 'zstd', 'auto'].map(c => String(r.byCodec[c].sentBytes).padStart(9)).join(' ')}   ${r.autoVsBestFixedTime}`)
  console.log(`delta: ${report.delta.changedBlocks} of ${blocks} blocks changed; full ${report.delta.fullSentBytes} B in ${report.delta.fullSeconds.toFixed(1)} s; delta ${report.delta.deltaSentBytes} B (${(report.delta.deltaShareOfImage * 100).toFixed(2)}%) in ${report.delta.deltaSeconds.toFixed(1)} s; rsync ${report.rsync.wireBytes} B in ${report.rsync.seconds} s`)
  console.log(JSON.stringify(report))
}

function createHashOf (path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]
}

try {
  await main()
} finally {
  cleanup()
}
