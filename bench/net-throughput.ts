// Channel throughput between two real node processes over TCP + Noise + Yamux: messages/s and MB/s for
// 512 B and 16 KiB messages, median of several runs. Prints a table and a JSON document.
//   npm run bench:net -- [--runs 5] [--seconds 3]
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { createIdentity } from '../src/net/identity.ts'
import { freePort } from '../src/cli/devnet.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, seconds: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } })
const runs = Number(values.runs)
const seconds = Number(values.seconds)
const dir = mkdtempSync(join(tmpdir(), 'nc-bench-net-'))

const ids = await Promise.all(['a', 'b'].map(async name => {
  const dataDir = join(dir, name)
  mkdirSync(dataDir, { recursive: true })
  return { name, dataDir, identity: await createIdentity(dataDir) }
}))
const validators = await Promise.all(ids.map(async i => ({ peerId: i.identity.peerId, addr: `/ip4/127.0.0.1/tcp/${await freePort()}` })))

function peer (dataDir: string) {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'net-peer.ts'), dataDir, JSON.stringify(validators)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  return {
    child,
    next: async (): Promise<any> => JSON.parse((await lines.next()).value as string),
    send: (cmd: unknown): void => { child.stdin!.write(JSON.stringify(cmd) + '\n') }
  }
}

const sender = peer(ids[0].dataDir)
const receiver = peer(ids[1].dataDir)
await Promise.all([sender.next(), receiver.next()])

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const results = []
for (const size of [512, 16 * 1024]) {
  const msgsPerS: number[] = []
  const mbPerS: number[] = []
  for (let r = 0; r < runs; r++) {
    receiver.send({ op: 'count' })
    const before = await receiver.next()
    const t0 = performance.now()
    sender.send({ op: 'send', size, seconds })
    const { sent } = await sender.next()
    let after = before
    while (after.received - before.received < sent) { await new Promise(resolve => setTimeout(resolve, 5)); receiver.send({ op: 'count' }); after = await receiver.next() }
    const elapsed = (performance.now() - t0) / 1000
    msgsPerS.push((after.received - before.received) / elapsed)
    mbPerS.push((after.receivedBytes - before.receivedBytes) / elapsed / 1e6)
    process.stderr.write(`  ${size} B run ${r + 1}/${runs}: ${Math.round(msgsPerS.at(-1)!)} msg/s, ${mbPerS.at(-1)!.toFixed(1)} MB/s\n`)
  }
  results.push({ messageBytes: size, runs, secondsPerRun: seconds, msgsPerS: Math.round(median(msgsPerS)), MBps: Number(median(mbPerS).toFixed(1)), allMsgsPerS: msgsPerS.map(Math.round) })
}
sender.send({ op: 'exit' })
receiver.send({ op: 'exit' })
rmSync(dir, { recursive: true, force: true })

const report = { bench: 'net-channel', transport: 'tcp+noise+yamux, two processes on loopback', machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, results }
if (!values.json) {
  console.log('message size | msgs/s (median) | MB/s (median) | runs')
  console.log('-------------|-----------------|---------------|-----')
  for (const r of results) console.log(`${String(r.messageBytes).padStart(12)} | ${String(r.msgsPerS).padStart(15)} | ${String(r.MBps).padStart(13)} | ${r.runs}`)
}
console.log(JSON.stringify(report))
