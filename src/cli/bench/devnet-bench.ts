// `novacron bench` on real processes: a fresh devnet, load from this (separate) client process through
// the admin API in batches, latency from submission to the client's acknowledgement of the commit, and
// tps counted only once every node has applied (and fsynced) every transaction.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { GenesisParams } from '../../config/genesis.ts'
import { failure } from '../../config/errors.ts'
import { clientFor, devnetDown, devnetUp, type DevnetNode } from '../devnet.ts'
import { cpuPercent, sampleProc, type ProcSample } from './proc-stats.ts'
import { LatencyRecorder } from './stats.ts'
import type { EtcdResult } from './etcd-bench.ts'

export interface BenchOptions {
  protocol: string
  nodes: number
  durationS: number
  txSize: number
  /** Offered load in tx/s; null: closed loop, as fast as the cluster acknowledges. */
  rate: number | null
  /** Transactions per API request. */
  batch: number
  /** Requests in flight per node in closed loop. */
  inflightPerNode: number
  /** Acknowledge a request only once f + 1 replicas report the same commit (height and state root) of
   *  each of its transactions, as a BFT client must; false: the one node it went to. */
  ackQuorum?: boolean
  params?: GenesisParams
  dir?: string
  progress?: (line: string) => void
  /** Fraction of the run done (0..1) and a short line: drives the progress bar on a terminal. */
  tick?: (fraction: number, line: string) => void
}

/** One step of a --max-p99 search. */
export interface SearchStep { offeredRate: number, tps: number, p50: number | null, p99: number | null, withinCap: boolean }

export interface BenchResult {
  protocol: string
  nodes: number
  txSize: number
  durationS: number
  offeredRate: number | null
  committedTx: number
  tps: number
  latencyMs: { p50: number | null, p90: number | null, p99: number | null }
  perNode: Array<{ id: string, cpuPct: number, rssMiB: number, peakRssMiB?: number, heapUsedMiB?: number }>
  /** What went wrong, reported rather than only subtracted: requests that failed or were refused (HTTP
   *  errors, timeouts, mempool full) and transactions that committed with an error result. */
  failures?: { requests: number, txs: number, firstErrors: string[] }
  /** --rate: the rate the client actually kept (it shares the cores), and that latency runs from each
   *  request's intended send time, so a client falling behind schedule shows as latency (coordinated omission). */
  achievedOfferedRate?: number
  /** What an acknowledgement means here. */
  ack?: string
  /** The client process's own CPU over the run, and the machine's load average before and after. */
  client?: { cpuPct: number }
  /** --etcd: etcd under the same load in the same run (etcd-bench.ts), and this tps over its writes/s. */
  etcd?: EtcdResult
  ratioToEtcd?: number
  loadavg?: { before: number, after: number }
  machine: { cpus: number, model: string, memGiB: number, node: string }
  mode: 'devnet' | 'sim'
  /** --max-p99: the cap, and every step of the search (the result above is the best step within it). */
  maxP99Ms?: number
  search?: SearchStep[]
  /** --sim: figures are in simulated time, not measured on this machine. */
  simulated?: boolean
  note?: string
  /** Devnet runs: payload bytes all nodes sent over their channels during the run (novacron_bytes_out_total),
   *  the blocks decided meanwhile (node 0's height) and their ratio. */
  network?: { bytesOut: number, decisions: number, bytesPerDecision: number | null }
}

/** A node's receipt of one consensus transaction (a bundle of a request's commands). */
interface Receipt { txId: string, height: number, stateRoot: string }

export function machineInfo (): BenchResult['machine'] {
  return { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version }
}

// A kv put whose encoded transaction is about txSize bytes (key, nonce and framing take ~40). The value is
// random (base64url of random bytes: 6 bits of entropy a byte), so no compression on the way inflates the result.
function commands (start: number, count: number, txSize: number, runId: string): Array<{ type: 'kv.put', key: string, value: string }> {
  const len = Math.max(1, txSize - 48)
  const pool = randomBytes(Math.ceil(len * 3 / 4) * count + 3).toString('base64url')
  return Array.from({ length: count }, (_, i) => ({ type: 'kv.put' as const, key: `bench/${runId}/${start + i}`, value: pool.slice(i * len, (i + 1) * len) }))
}

export async function runDevnetBench (opts: BenchOptions): Promise<BenchResult> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'novacron-bench-'))
  const say = opts.progress ?? (() => {})
  say(`starting a ${opts.nodes}-node ${opts.protocol} devnet in ${dir}`)
  // A 16-node mesh on a shared 2-core machine can take longer than devnet up's minute to open every channel.
  const up = await devnetUp({ dir, nodes: opts.nodes, protocol: opts.protocol, params: opts.params, logLevel: 'warn', meshTimeoutMs: Math.max(60_000, opts.nodes * 10_000) }, { progress: say })
  try {
    return await drive(up.nodes, opts, say, opts.tick ?? (() => {}))
  } finally {
    await devnetDown(dir)
    if (opts.dir == null) rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * --max-p99: on one devnet, short open-loop steps at rising rates (doubling from `startRate`) until p99
 * passes the cap, then two bisection steps between the last rate within it and the first beyond it.
 * The result is the step with the highest tps whose p99 stayed under the cap, with every step listed.
 */
export async function runMaxP99Search (opts: BenchOptions & { maxP99Ms: number, startRate?: number, maxSteps?: number }): Promise<BenchResult> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'novacron-bench-'))
  const say = opts.progress ?? (() => {})
  const tick = opts.tick ?? (() => {})
  const maxSteps = opts.maxSteps ?? 7
  say(`starting a ${opts.nodes}-node ${opts.protocol} devnet in ${dir}`)
  // A 16-node mesh on a shared 2-core machine can take longer than devnet up's minute to open every channel.
  const up = await devnetUp({ dir, nodes: opts.nodes, protocol: opts.protocol, params: opts.params, logLevel: 'warn', meshTimeoutMs: Math.max(60_000, opts.nodes * 10_000) }, { progress: say })
  try {
    // A fresh devnet's first seconds (JIT, connection set-up) would inflate the first step's p99.
    say('warming up for 2 s (not reported)')
    tick(0, 'warming up')
    await drive(up.nodes, { ...opts, durationS: 2, rate: opts.startRate ?? 200, batch: Math.max(1, Math.min(opts.batch, Math.floor((opts.startRate ?? 200) / 20))) }, () => {}).catch(() => null)
    const steps: Array<{ step: SearchStep, result: BenchResult | null }> = []
    let good = 0
    let bad = Infinity
    let rate = opts.startRate ?? 200
    for (let i = 0; i < maxSteps; i++) {
      const batch = Math.max(1, Math.min(opts.batch, Math.floor(rate / 20)))
      say(`step ${i + 1}: ${rate} tx/s for ${opts.durationS} s`)
      let result: BenchResult
      try {
        result = await drive(up.nodes, { ...opts, rate, batch }, () => {}, (f, line) => tick((i + f) / maxSteps, `step ${i + 1}/${maxSteps} at ${rate} tx/s  ${line}`))
      } catch (err) {
        say(`  step at ${rate} tx/s failed: ${err instanceof Error ? err.message : String(err)}`)
        bad = Math.min(bad, rate)
        steps.push({ step: { offeredRate: rate, tps: 0, p50: null, p99: null, withinCap: false }, result: null })
        if (good === 0) break
        rate = Math.round((good + bad) / 2)
        continue
      }
      const p99 = result.latencyMs.p99
      // Within the cap only if the cluster also kept up with the offered load.
      const within = p99 != null && p99 <= opts.maxP99Ms && result.tps >= 0.8 * rate
      steps.push({ step: { offeredRate: rate, tps: result.tps, p50: result.latencyMs.p50, p99, withinCap: within }, result })
      say(`  ${result.tps} tx/s, p99 ${p99 ?? '-'} ms: ${within ? 'within' : 'over'} the cap`)
      if (within) good = Math.max(good, rate)
      else bad = Math.min(bad, rate)
      if (bad === Infinity) rate *= 2
      else if (good === 0) rate = Math.max(1, Math.round(rate / 4))
      else if (bad - good <= Math.max(10, good * 0.1)) break
      else rate = Math.round((good + bad) / 2)
      if (steps.some(s => s.step.offeredRate === rate)) break
    }
    tick(1, 'done')
    const done = steps.filter((s): s is { step: SearchStep, result: BenchResult } => s.result != null)
    const within = done.filter(s => s.step.withinCap)
    const best = [...within].sort((a, b) => b.result.tps - a.result.tps)[0] ?? [...done].sort((a, b) => (a.step.p99 ?? Infinity) - (b.step.p99 ?? Infinity))[0]
    if (best == null) throw failure('no step of the search completed; see the node logs')
    const search = steps.map(s => s.step).sort((a, b) => a.offeredRate - b.offeredRate)
    return {
      ...best.result,
      maxP99Ms: opts.maxP99Ms,
      search,
      note: within.length > 0 ? `highest rate with p99 <= ${opts.maxP99Ms} ms: ${best.step.offeredRate} tx/s offered, ${best.result.tps} tx/s applied` : `no rate tried kept p99 under ${opts.maxP99Ms} ms; the lowest-p99 step is reported`
    }
  } finally {
    await devnetDown(dir)
    if (opts.dir == null) rmSync(dir, { recursive: true, force: true })
  }
}

export async function drive (nodes: DevnetNode[], opts: BenchOptions, say: (line: string) => void, tick: (fraction: number, line: string) => void = () => {}): Promise<BenchResult> {
  // A 16-node devnet on a shared 2-core machine answers status slower than devnet's 3 s default.
  const clients = nodes.map(n => clientFor(n, 30_000))
  const latency = new LatencyRecorder()
  const runId = Math.random().toString(36).slice(2, 8)
  let submitted = 0
  let acked = 0
  let failedRequests = 0
  let failedTxs = 0
  const firstErrors: string[] = []
  const noteError = (e: string): void => { if (firstErrors.length < 5 && !firstErrors.includes(e)) firstErrors.push(e) }
  const load0 = loadavg()[0]
  const cpu0 = process.cpuUsage()
  const before = nodes.map(n => sampleProc(n.pid))
  const baseHeights = await Promise.all(clients.map(async c => (await c.status()).committedTx))
  const bytes0 = await Promise.all(clients.map(async c => await bytesOut(c)))
  const decisions0 = (await clients[0].status()).height
  const t0 = performance.now()
  const endAt = t0 + opts.durationS * 1000
  let sendSpan = 0

  // --ack-quorum: the node a request went to plus f others must report each transaction at the same height
  // with the same state root; a disagreement or a missing receipt fails the request.
  const quorumOthers = opts.ackQuorum === true ? Math.min(nodes.length - 1, Math.floor((nodes.length - 1) / 3)) : 0
  const quorumAgrees = async (to: number, mine: Receipt[]): Promise<void> => {
    if (mine.length === 0) throw new Error('the node returned no receipts to check against f others (an older node?)')
    const others = Array.from({ length: quorumOthers }, (_, k) => clients[(to + 1 + k) % clients.length])
    const answers = await Promise.all(others.map(async c => await c.request('POST', '/v1/tx/receipts', { txIds: mine.map(r => r.txId), timeoutMs: 60_000 }, 'json', 70_000) as { receipts: Array<Receipt & { committed: boolean }> }))
    for (const a of answers) {
      a.receipts.forEach((r, k) => {
        if (!r.committed) throw new Error(`receipt quorum: ${r.txId.slice(0, 12)} not committed on another replica within 60 s`)
        if (r.height !== mine[k].height || r.stateRoot !== mine[k].stateRoot) throw new Error(`receipt quorum: replicas disagree on ${r.txId.slice(0, 12)} (height ${mine[k].height} vs ${r.height})`)
      })
    }
  }

  // `intendedAt`: when an open-loop schedule meant to send it (latency runs from there), else now.
  const send = async (i: number, intendedAt?: number): Promise<void> => {
    const start = submitted
    submitted += opts.batch
    const sentAt = intendedAt ?? performance.now()
    try {
      const to = i % clients.length
      const res = await clients[to].request('POST', '/v1/tx', { commands: commands(start, opts.batch, opts.txSize, runId), timeoutMs: 60_000 }, 'json', 70_000) as { failed?: Array<{ error: string }>, receipts?: Receipt[] }
      if (quorumOthers > 0) await quorumAgrees(to, res.receipts ?? [])
      latency.add(performance.now() - sentAt, opts.batch)
      acked += opts.batch
      for (const f of res?.failed ?? []) { failedTxs++; noteError(`tx failed: ${f.error}`) }
    } catch (err) {
      failedRequests++
      noteError(err instanceof Error ? err.message : String(err))
    }
  }

  const ticker = setInterval(() => {
    const s = (performance.now() - t0) / 1000
    say(`  ${s.toFixed(0)}s  submitted ${submitted}  acknowledged ${acked}  (${Math.round(acked / s)} tx/s)`)
    tick(Math.min(1, s / opts.durationS), `${Math.round(acked / s)} tx/s acknowledged`)
  }, 1000)
  try {
    if (opts.rate == null) {
      let i = 0
      await Promise.all(Array.from({ length: opts.inflightPerNode * nodes.length }, async () => {
        while (performance.now() < endAt) await send(i++)
      }))
    } else {
      const interval = (opts.batch / opts.rate) * 1000
      const pending: Array<Promise<void>> = []
      for (let i = 0; performance.now() < endAt; i++) {
        pending.push(send(i, t0 + i * interval))
        const due = t0 + (i + 1) * interval
        const wait = due - performance.now()
        if (wait > 0) await sleep(wait)
      }
      sendSpan = (performance.now() - t0) / 1000
      await Promise.all(pending)
    }
  } finally {
    clearInterval(ticker)
  }
  if (acked === 0) throw failure(`no transaction was acknowledged (${failedRequests} requests failed: ${firstErrors.join('; ')}); see the node logs`)

  // Done only when every node has applied everything that was acknowledged.
  say('  waiting for every node to apply every transaction')
  let tEnd = performance.now()
  const deadline = tEnd + 120_000
  for (;;) {
    // A node too busy to answer its status in time is asked again, not taken for a failed run.
    const counts = await Promise.all(clients.map(async (c, i) => await c.status().then(s => s.committedTx - baseHeights[i], () => -1)))
    tEnd = performance.now()
    if (counts.every(c => c >= acked)) break
    if (tEnd > deadline) throw failure(`nodes did not all apply ${acked} transactions within 120 s (${counts.join(', ')})`)
    await sleep(50)
  }
  const after = nodes.map(n => sampleProc(n.pid))
  const bytes = (await Promise.all(clients.map(async c => await bytesOut(c)))).reduce((a, b, i) => a + b - bytes0[i], 0)
  const decisions = (await clients[0].status()).height - decisions0
  const cpu = process.cpuUsage(cpu0)
  const memory = await Promise.all(clients.map(async c => (await c.status().catch(() => null))?.memory ?? null))
  const perNode = nodes.map((n, i) => {
    const a = before[i] as ProcSample | null
    const b = after[i] as ProcSample | null
    return { id: n.id, cpuPct: a != null && b != null ? cpuPercent(a, b) : 0, rssMiB: b?.rssMiB ?? 0, ...(b != null ? { peakRssMiB: b.peakRssMiB } : {}), ...(memory[i] != null ? { heapUsedMiB: memory[i].heapUsedMiB } : {}) }
  })
  return {
    protocol: opts.protocol,
    nodes: nodes.length,
    txSize: opts.txSize,
    durationS: opts.durationS,
    offeredRate: opts.rate,
    committedTx: acked,
    tps: Math.round(acked / ((tEnd - t0) / 1000)),
    latencyMs: latency.summary(),
    perNode,
    failures: { requests: failedRequests, txs: failedTxs, firstErrors },
    ...(opts.rate != null && sendSpan > 0 ? { achievedOfferedRate: Math.round(submitted / sendSpan) } : {}),
    ack: quorumOthers > 0
      ? `f + 1 = ${quorumOthers + 1} replicas reported every transaction of a request at the same height and state root (the node it went to applied and fsynced it; f others' receipts agreed)`
      : 'the node a request went to applied (and fsynced) every transaction of it; one replica, not f+1 (--ack-quorum waits for f+1)',
    client: { cpuPct: Math.round(1000 * (cpu.user + cpu.system) / 1000 / (tEnd - t0)) / 10 },
    loadavg: { before: Math.round(load0 * 100) / 100, after: Math.round(loadavg()[0] * 100) / 100 },
    machine: machineInfo(),
    mode: 'devnet',
    network: { bytesOut: bytes, decisions, bytesPerDecision: decisions > 0 ? Math.round(bytes / decisions) : null }
  }
}

/** A node's channel payload bytes sent so far, over every channel protocol. */
async function bytesOut (c: ReturnType<typeof clientFor>): Promise<number> {
  const text = await c.metrics()
  return text.split('\n').filter(l => l.startsWith('novacron_bytes_out_total')).reduce((a, l) => a + Number(l.split(' ').pop()), 0)
}
