// Four real replicas in one process: the CPU each transaction costs a replica, which machine load and
// network noise cannot hide. Every replica is a real ConsensusHost (the one driver, the protocol from the
// registry, Ed25519 signatures, SQLite storage with its consensus WAL, the state machine with signed-tx
// checks, checkpoint snapshots); only libp2p is replaced, by an in-memory channel that hands each message
// over on the next event-loop turn. A closed-loop client keeps a fixed number of transactions in flight
// at every replica (submitted as the admin API would: bare kv puts the node signs for local use), with
// values of random, incompressible bytes.
//
// The figure: process CPU (user + system, all threads) over the measured window / transactions committed
// on a replica in it / 4. Each run is a fresh child process (own JIT, heap and temp dir); the table is the
// median over runs. The breakdown comes from one extra run under the V8 sampling profiler: each sample is
// charged to the innermost frame of a known part (state root, signatures, storage, ...), and the parts'
// shares are scaled to the median figure.
//
//   npm run bench:replicas -- [--protocol all|P] [--runs 3] [--seconds 8] [--warmup 3] [--inflight 800]
//                             [--request 200] [--tx-size 512] [--param KEY=N] [--no-profile] [--json]
//                             [--state-sync normal|full]  (full: every state commit fsyncs, as before)
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Session } from 'node:inspector/promises'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Registry } from 'prom-client'
import { PROTOCOL_MODULES } from '../src/consensus/registry.ts'
import { genesisHash, type Genesis } from '../src/config/genesis.ts'
import { createMetrics } from '../src/metrics/index.ts'
import { silentLogger } from '../src/log/index.ts'
import { ConsensusHost, type CommitReceipt } from '../src/node/consensus-host.ts'
import { EventLog } from '../src/node/events.ts'
import type { Channel, ChannelSpec, NetHost, RequestHandlerSpec, RequestOptions } from '../src/net/host.ts'
import type { NodeIdentity } from '../src/net/identity.ts'
import { Storage } from '../src/state/storage/storage.ts'
import { ConsensusWal } from '../src/state/storage/wal.ts'
import { kvPutTx } from '../src/state/tx.ts'
import { SIGNED_TX_OVERHEAD } from '../src/state/signed-tx.ts'
import { vrfKeyFromSeed } from '../src/crypto/vrf.ts'

const { values } = parseArgs({
  options: {
    protocol: { type: 'string', default: 'all' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    inflight: { type: 'string', default: '800' },
    request: { type: 'string', default: '200' },
    'tx-size': { type: 'string', default: '512' },
    param: { type: 'string', multiple: true, default: [] },
    'no-profile': { type: 'boolean', default: false },
    'state-sync': { type: 'string', default: 'normal' },
    json: { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    top: { type: 'string', default: '0' },
    dir: { type: 'string' }
  }
})

const REPLICAS = 4

interface RunResult {
  protocol: string
  seconds: number
  /** committed on each replica in the window (their mean is the divisor) */
  committed: number[]
  cpuUs: number
  cpuUsPerTxPerReplica: number
  walAppendsPer1kTxPerReplica: number
  /** bytes handed to the consensus WAL (records and the bodies they name) */
  walBytesPerTxPerReplica: number
  /** bytes the process wrote (wchar): the WAL file, database checkpoints, everything */
  writtenBytesPerTxPerReplica: number
  tps: number
  /** per-replica share of the samples, by part, when profiled */
  breakdown?: Record<string, number>
  rssMiB: number
  heapMiB: number
  heights: number[]
  views: number[]
  failed: number
  refused: number
}

// ---------------------------------------------------------------- child: one measured run

/** libp2p replaced: each replica's channel hands bytes to the target's handler on the next turn. */
class MemoryNet {
  readonly channels = new Map<string, (from: string, bytes: Uint8Array) => void>()
  readonly handlers = new Map<string, RequestHandlerSpec>()
  readonly #queue: Array<[to: string, from: string, bytes: Uint8Array]> = []
  #scheduled = false
  bytesMoved = 0

  hostFor (self: string, validators: readonly string[]): NetHost {
    const host = {
      registerChannel: (spec: ChannelSpec): Channel => {
        this.channels.set(self, spec.onMessage)
        return {
          send: (to, payload) => { this.#enqueue(to, self, payload); return true },
          broadcast: payload => { for (const v of validators) if (v !== self) this.#enqueue(v, self, payload) },
          queuedBytes: () => 0
        }
      },
      registerRequestHandler: (spec: RequestHandlerSpec) => { this.handlers.set(self, spec) },
      request: async (peer: string, _protocol: string, payload: Uint8Array, _opts: RequestOptions): Promise<Uint8Array> => {
        const h = this.handlers.get(peer)
        if (h === undefined) throw new Error(`no handler at ${peer}`)
        return await h.handle(self, payload, new AbortController().signal)
      }
    }
    return host as unknown as NetHost
  }

  #enqueue (to: string, from: string, bytes: Uint8Array): void {
    this.bytesMoved += bytes.byteLength
    this.#queue.push([to, from, bytes])
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      const batch = this.#queue.splice(0)
      for (const [t, f, b] of batch) this.channels.get(t)?.(f, b)
    })
  }
}

async function identity (): Promise<NodeIdentity> {
  const key = await generateKeyPair('Ed25519')
  return { privateKey: key, peerId: peerIdFromPrivateKey(key).toString(), publicKey: Buffer.from(key.publicKey.raw).toString('hex'), rawPrivateKey: key.raw }
}

/** A kv put with `txSize - SIGNED_TX_OVERHEAD` bytes of command, so the signed envelope is `txSize`. */
function makeTx (runId: string, n: number, txSize: number): Uint8Array {
  const key = `b/${runId}/${n}`
  // kvPutTx framing: version, kind, nonce (1 + 16), key (2 + len), value (4 + len)
  const valueBytes = Math.max(1, txSize - SIGNED_TX_OVERHEAD - (2 + 17 + 2 + key.length + 4))
  return kvPutTx(key, randomBytes(valueBytes), { nonce: 'random' })
}

// Which part of the code a profile sample belongs to: the innermost frame that matches a rule.
const PARTS: Array<[part: string, test: (url: string, fn: string) => boolean]> = [
  ['state root', (u) => u.includes('/src/state/lthash.ts')],
  ['signatures', (u, f) => u.includes('/src/crypto/ed25519.ts') || u.includes('/src/crypto/signer.ts') || (u.includes('/src/state/signed-tx.ts') && f !== 'decodeSignedTx')],
  ['hashing', (u, f) => u.includes('/src/crypto/hash.ts') || (u.includes('/src/consensus/core/batch.ts') && /txId|txKey|makeBatch/.test(f)) || (u.includes('/src/state/tx.ts') && f === 'txId') || f === 'batchIdOf'],
  ['storage', (u, f) => u.includes('/src/state/storage/') || u.includes('node:sqlite') || f === 'write' && u.includes('storage')],
  ['snapshot', (u) => u.includes('/src/state/snapshot.ts')],
  ['codec', (u) => u.includes('/codec.ts') || u.includes('/src/consensus/core/message.ts') || u.includes('/src/consensus/core/record.ts') || u.includes('/src/state/bytes.ts') || u.includes('/src/state/tx.ts') || u.includes('/src/state/records.ts') || u.includes('/src/encoding/')],
  ['apply (state machine)', (u) => u.includes('/src/state/')],
  ['protocol', (u) => u.includes('/src/consensus/') && !u.includes('/driver/')],
  ['driver', (u) => u.includes('/src/consensus/driver/')],
  ['host (waiters, metrics)', (u) => u.includes('/src/node/') || u.includes('prom-client')],
  ['in-memory net + client', (u) => u.includes('/bench/')]
]

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, children?: number[] }

function breakdownOf (profile: { nodes: ProfileNode[], samples: number[] }): Record<string, number> {
  const parent = new Map<number, number>()
  const byId = new Map<number, ProfileNode>()
  for (const n of profile.nodes) { byId.set(n.id, n); for (const c of n.children ?? []) parent.set(c, n.id) }
  const partOf = new Map<number, string>()
  const resolve = (id: number): string => {
    const cached = partOf.get(id)
    if (cached !== undefined) return cached
    const n = byId.get(id)!
    const { url, functionName } = n.callFrame
    let part: string | undefined
    if (functionName === '(garbage collector)') part = 'gc'
    else if (functionName === '(idle)' || functionName === '(program)') part = functionName
    else part = PARTS.find(([, t]) => t(url, functionName))?.[0]
    if (part === undefined) { const p = parent.get(id); part = p === undefined ? 'other (runtime)' : resolve(p) }
    partOf.set(id, part)
    return part
  }
  const counts: Record<string, number> = {}
  let total = 0
  for (const s of profile.samples) {
    const part = resolve(s)
    if (part === '(idle)') continue
    counts[part] = (counts[part] ?? 0) + 1
    total++
  }
  const shares: Record<string, number> = {}
  for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) shares[k] = v / total
  return shares
}

/** The functions with the most samples of their own (`--top N`), as 'share function file:line'. */
function topSelf (profile: { nodes: Array<ProfileNode & { callFrame: { lineNumber?: number } }>, samples: number[] }, n: number): string[] {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]))
  const counts = new Map<string, number>()
  let total = 0
  for (const s of profile.samples) {
    const { functionName, url, lineNumber } = byId.get(s)!.callFrame
    if (functionName === '(idle)') continue
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|bench)\//, '$1/')}:${(lineNumber ?? 0) + 1}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
    total++
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(100 * v / total).toFixed(1)}% ${k}`)
}

// The four replicas share one thread here, so a commit takes about four times as long as on a devnet
// with a core per node; a view change a loaded devnet would not have would then make the figure noise.
// Genesis params the protocol has: this raise, then any --param KEY=VALUE.
const BENCH_PARAMS: Record<string, number> = { viewChangeTimeoutMs: 10_000 }

function benchParams (defaults: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { ...defaults }
  for (const [k, v] of Object.entries(BENCH_PARAMS)) if (k in defaults) out[k] = v
  for (const spec of values.param as string[]) {
    const m = /^(\w+)=(\d+)$/.exec(spec)
    if (m === null || !(m[1] in defaults)) throw new Error(`--param ${spec}: expected KEY=N with KEY one of ${Object.keys(defaults).join(', ')}`)
    out[m[1]] = Number(m[2])
  }
  return out
}

// Counts consensus WAL transactions (each one fsync): what group commit is meant to cut.
// Also the bytes handed to it: records plus the batch bodies they name (a body counts each time a record
// names it, though storage keeps one per digest: an upper bound on what the WAL writes).
let walAppends = 0
let walBytes = 0
const append = ConsensusWal.prototype.append
ConsensusWal.prototype.append = function (this: ConsensusWal, ...args: Parameters<typeof append>) {
  walAppends++
  for (const r of args[0]) {
    walBytes += r.bytes.byteLength
    const body = (r as { body?: { txs: readonly Uint8Array[] } }).body
    if (body !== undefined) for (const tx of body.txs) walBytes += 4 + tx.byteLength
  }
  return append.apply(this, args)
}

/** Bytes this process passed to write(2) and friends so far (Linux /proc/self/io wchar): WAL frames,
 *  checkpoints into the database file, everything the four replicas write. 0 where unavailable. */
function writtenBytes (): number {
  try {
    return Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

async function childRun (protocol: string, dir: string): Promise<RunResult> {
  const module = PROTOCOL_MODULES.find((m) => m.name === protocol)
  if (module === undefined) throw new Error(`unknown protocol ${protocol}`)
  const ids = await Promise.all(Array.from({ length: REPLICAS }, identity))
  // Every replica gets a VRF key too (ProBFT samples its votes with one; the others ignore it).
  const vrfKeys = ids.map(() => vrfKeyFromSeed(randomBytes(32)))
  const genesis: Genesis = {
    version: 1,
    cluster: 'bench-replicas',
    protocol,
    createdAt: new Date(0).toISOString(),
    params: benchParams(module.params.genesisDefaults),
    validators: ids.map((id, i) => ({ peerId: id.peerId, publicKey: id.publicKey, addr: `/ip4/127.0.0.1/tcp/${10000 + i}`, vrfPublicKey: Buffer.from(vrfKeys[i].publicKey).toString('hex') }))
  }
  const gHash = genesisHash(genesis)
  const net = new MemoryNet()
  const peers = ids.map((i) => i.peerId)
  const storages: Storage[] = []
  const hosts = ids.map((id, i) => {
    mkdirSync(join(dir, String(i)), { recursive: true })
    const storage = Storage.open({ path: join(dir, String(i), 'state.db'), stateSync: values['state-sync'] === 'full' ? 'full' : 'normal' })
    storages.push(storage)
    const metrics = createMetrics(new Registry())
    return new ConsensusHost({ identity: id, genesis, genesisHash: gHash, vrfSecretKey: vrfKeys[i].secretKey }, {
      net: net.hostFor(id.peerId, peers), storage, logger: silentLogger, metrics: metrics.consensus, netMetrics: metrics.net, events: new EventLog()
    })
  })
  for (const h of hosts) h.start()

  const inflight = Number(values.inflight)
  const perRequest = Number(values.request)
  const txSize = Number(values['tx-size'])
  const runId = randomBytes(4).toString('hex')
  let n = 0
  let stop = false
  let failed = 0
  let refused = 0
  const loop = async (host: ConsensusHost): Promise<void> => {
    while (!stop) {
      const txs = Array.from({ length: perRequest }, () => makeTx(runId, n++, txSize))
      let pending: Array<{ committed: Promise<CommitReceipt> }>
      try {
        pending = host.submit(txs)
      } catch {
        refused++
        await new Promise((resolve) => setTimeout(resolve, 5))
        continue
      }
      const receipts = await Promise.all(pending.map(async (p) => await p.committed))
      // what the stop at the end resolves ('node stopped') is not a failure of the run
      if (!stop) failed += receipts.filter((r) => !r.ok).length
    }
  }
  const loops = hosts.flatMap((h) => Array.from({ length: Math.max(1, Math.round(inflight / perRequest)) }, async () => await loop(h)))
  const sleep = async (s: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, s * 1000))
  await sleep(Number(values.warmup))
  const session = values.profile ? new Session() : null
  if (session !== null) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 500 })
    await session.post('Profiler.start')
  }
  const seconds = Number(values.seconds)
  const before = hosts.map((h) => h.figures().committedTx)
  const appends0 = walAppends
  const walBytes0 = walBytes
  const written0 = writtenBytes()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await sleep(seconds)
  const cpu = process.cpuUsage(cpu0)
  const wall = (performance.now() - t0) / 1000
  const committed = hosts.map((h, i) => h.figures().committedTx - before[i])
  const appends = walAppends - appends0
  const walBytesIn = walBytes - walBytes0
  const written = writtenBytes() - written0
  let breakdown: Record<string, number> | undefined
  if (session !== null) {
    const { profile } = await session.post('Profiler.stop') as unknown as { profile: { nodes: ProfileNode[], samples: number[] } }
    breakdown = breakdownOf(profile)
    if (Number(values.top) > 0) process.stderr.write(topSelf(profile, Number(values.top)).join('\n') + '\n')
    session.disconnect()
  }
  const mem = process.memoryUsage()
  stop = true
  const statuses = hosts.map((h) => h.status())
  for (const h of hosts) h.stop()
  await Promise.race([Promise.allSettled(loops), sleep(2)])
  for (const s of storages) s.db.close()
  const meanCommitted = committed.reduce((a, b) => a + b, 0) / committed.length
  const cpuUs = cpu.user + cpu.system
  if (failed + refused > 0) process.stderr.write(`${protocol}: ${failed} transactions failed, ${refused} requests refused\n`)
  return {
    protocol,
    seconds: wall,
    committed,
    cpuUs,
    cpuUsPerTxPerReplica: meanCommitted > 0 ? cpuUs / meanCommitted / REPLICAS : Infinity,
    walAppendsPer1kTxPerReplica: meanCommitted > 0 ? 1000 * appends / meanCommitted / REPLICAS : 0,
    walBytesPerTxPerReplica: meanCommitted > 0 ? walBytesIn / meanCommitted / REPLICAS : 0,
    writtenBytesPerTxPerReplica: meanCommitted > 0 ? written / meanCommitted / REPLICAS : 0,
    tps: meanCommitted / wall,
    breakdown,
    rssMiB: mem.rss / 2 ** 20,
    heapMiB: mem.heapUsed / 2 ** 20,
    failed,
    refused,
    heights: statuses.map((s) => s.height),
    views: statuses.map((s) => s.view)
  }
}

// ---------------------------------------------------------------- parent: runs, medians, table

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }

async function spawnRun (protocol: string, profile: boolean): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nc-bench-replicas-'))
  const args = [import.meta.filename, '--child', '--protocol', protocol, '--dir', dir, '--seconds', String(values.seconds), '--warmup', String(values.warmup),
    '--inflight', String(values.inflight), '--request', String(values.request), '--tx-size', String(values['tx-size']), '--state-sync', String(values['state-sync']), ...(profile ? ['--profile', '--top', String(values.top)] : []),
    ...(values.param as string[]).flatMap((p) => ['--param', p])]
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      child.on('error', reject)
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`${protocol} run exited with ${code}`))
        try { resolve(JSON.parse(out.trim().split('\n').at(-1)!) as RunResult) } catch (err) { reject(err) }
      })
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  if (values.child) {
    const result = await childRun(String(values.protocol), String(values.dir))
    process.stdout.write(JSON.stringify(result) + '\n')
    process.exit(0)
  }
  const protocols = values.protocol === 'all' ? PROTOCOL_MODULES.map((m) => m.name) : String(values.protocol).split(',')
  const runs = Number(values.runs)
  const loadBefore = loadavg()
  const results = []
  for (const protocol of protocols) {
    const list: RunResult[] = []
    for (let i = 0; i < runs; i++) {
      const r = await spawnRun(protocol, false)
      if (!values.json) process.stderr.write(`${protocol} run ${i + 1}/${runs}: ${(r.cpuUsPerTxPerReplica ?? Infinity).toFixed(1)} CPU-µs/tx/replica, ${Math.round(r.tps)} tx/s, rss ${Math.round(r.rssMiB)} MiB\n`)
      list.push(r)
    }
    const perTx = median(list.map((r) => r.cpuUsPerTxPerReplica ?? Infinity))
    let breakdownUs: Record<string, number> | undefined
    if (!values['no-profile']) {
      const p = await spawnRun(protocol, true)
      breakdownUs = Object.fromEntries(Object.entries(p.breakdown ?? {}).map(([k, share]) => [k, Math.round(share * perTx * 10) / 10]))
    }
    results.push({
      protocol,
      runs,
      cpuUsPerTxPerReplica: Math.round(perTx * 10) / 10,
      allRuns: list.map((r) => Math.round(r.cpuUsPerTxPerReplica * 10) / 10),
      tps: Math.round(median(list.map((r) => r.tps))),
      walAppendsPer1kTxPerReplica: Math.round(10 * median(list.map((r) => r.walAppendsPer1kTxPerReplica))) / 10,
      walBytesPerTxPerReplica: Math.round(median(list.map((r) => r.walBytesPerTxPerReplica))),
      writtenBytesPerTxPerReplica: Math.round(median(list.map((r) => r.writtenBytesPerTxPerReplica))),
      rssMiB4Replicas: Math.round(median(list.map((r) => r.rssMiB))),
      heapMiB4Replicas: Math.round(median(list.map((r) => r.heapMiB))),
      failedTxs: list.reduce((n, r) => n + r.failed, 0),
      refusedRequests: list.reduce((n, r) => n + r.refused, 0),
      views: list.map((r) => Math.max(...r.views)),
      breakdownUsPerTxPerReplica: breakdownUs
    })
  }
  const doc = {
    bench: 'replicas-in-process',
    replicas: REPLICAS,
    txSize: Number(values['tx-size']),
    inflightPerReplica: Number(values.inflight),
    perRequest: Number(values.request),
    seconds: Number(values.seconds),
    stateSync: values['state-sync'],
    warmupSeconds: Number(values.warmup),
    params: { ...BENCH_PARAMS, ...Object.fromEntries((values.param as string[]).map((p) => p.split('='))) },
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, loadavgBefore: loadBefore.map((l) => Math.round(l * 100) / 100), loadavgAfter: loadavg().map((l) => Math.round(l * 100) / 100) },
    results
  }
  if (values.json) { process.stdout.write(JSON.stringify(doc, null, 2) + '\n'); return }
  const lines = [`in-process, ${REPLICAS} replicas, ${doc.txSize} B random txs, ${doc.inflightPerReplica} in flight per replica, median of ${runs} runs of ${doc.seconds} s (load ${doc.machine.loadavgBefore[0]} -> ${doc.machine.loadavgAfter[0]} on ${doc.machine.cpus} cpus)`]
  lines.push(['protocol', 'CPU-µs/tx/replica', 'runs', 'tx/s (1 process)', 'WAL fsyncs/1k tx/replica', 'WAL B/tx/replica', 'written B/tx/replica', 'RSS MiB (4 replicas)', 'heap MiB', 'failed txs', 'refused requests'].join(' | '))
  for (const r of results) lines.push([r.protocol, r.cpuUsPerTxPerReplica, r.allRuns.join(' '), r.tps, r.walAppendsPer1kTxPerReplica, r.walBytesPerTxPerReplica, r.writtenBytesPerTxPerReplica, r.rssMiB4Replicas, r.heapMiB4Replicas, r.failedTxs, r.refusedRequests].join(' | '))
  for (const r of results) {
    if (r.breakdownUsPerTxPerReplica === undefined) continue
    lines.push('', `${r.protocol} breakdown (CPU-µs/tx/replica, from one profiled run's shares):`)
    for (const [k, v] of Object.entries(r.breakdownUsPerTxPerReplica)) lines.push(`  ${k.padEnd(26)} ${v}`)
  }
  process.stdout.write(lines.join('\n') + '\n\n' + JSON.stringify(doc) + '\n')
}

await main()
