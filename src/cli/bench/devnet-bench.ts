// `novacron bench` on real processes: a fresh devnet, load from this (separate) client process through
// the admin API in batches, latency from submission to the client's acknowledgement of the commit, and
// tps counted only once every node has applied (and fsynced) every transaction.
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ConsensusParams, ProtocolName } from '../../config/genesis.ts'
import { failure } from '../../config/errors.ts'
import { clientFor, devnetDown, devnetUp, type DevnetNode } from '../devnet.ts'
import { cpuPercent, sampleProc, type ProcSample } from './proc-stats.ts'
import { LatencyRecorder } from './stats.ts'

export interface BenchOptions {
  protocol: ProtocolName
  nodes: number
  durationS: number
  txSize: number
  /** Offered load in tx/s; null: closed loop, as fast as the cluster acknowledges. */
  rate: number | null
  /** Transactions per API request. */
  batch: number
  /** Requests in flight per node in closed loop. */
  inflightPerNode: number
  params?: ConsensusParams
  dir?: string
  progress?: (line: string) => void
}

export interface BenchResult {
  protocol: string
  nodes: number
  txSize: number
  durationS: number
  offeredRate: number | null
  committedTx: number
  tps: number
  latencyMs: { p50: number | null, p90: number | null, p99: number | null }
  perNode: Array<{ id: string, cpuPct: number, rssMiB: number }>
  machine: { cpus: number, model: string, memGiB: number, node: string }
  mode: 'devnet'
}

export function machineInfo (): BenchResult['machine'] {
  return { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version }
}

// A kv put whose encoded transaction is about txSize bytes (key, nonce and framing take ~40).
function commands (start: number, count: number, txSize: number, runId: string): Array<{ type: 'kv.put', key: string, value: string }> {
  const pad = 'x'.repeat(Math.max(1, txSize - 48))
  return Array.from({ length: count }, (_, i) => ({ type: 'kv.put' as const, key: `bench/${runId}/${start + i}`, value: pad }))
}

export async function runDevnetBench (opts: BenchOptions): Promise<BenchResult> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'novacron-bench-'))
  const say = opts.progress ?? (() => {})
  say(`starting a ${opts.nodes}-node ${opts.protocol} devnet in ${dir}`)
  const up = await devnetUp({ dir, nodes: opts.nodes, protocol: opts.protocol, params: opts.params, logLevel: 'warn' }, { progress: say })
  try {
    return await drive(up.nodes, opts, say)
  } finally {
    await devnetDown(dir)
    if (opts.dir == null) rmSync(dir, { recursive: true, force: true })
  }
}

async function drive (nodes: DevnetNode[], opts: BenchOptions, say: (line: string) => void): Promise<BenchResult> {
  const clients = nodes.map(n => clientFor(n))
  const latency = new LatencyRecorder()
  const runId = Math.random().toString(36).slice(2, 8)
  let submitted = 0
  let acked = 0
  let failedRequests = 0
  const before = nodes.map(n => sampleProc(n.pid))
  const baseHeights = await Promise.all(clients.map(async c => (await c.status()).committedTx))
  const t0 = performance.now()
  const endAt = t0 + opts.durationS * 1000

  const send = async (i: number): Promise<void> => {
    const start = submitted
    submitted += opts.batch
    const sentAt = performance.now()
    try {
      await clients[i % clients.length].request('POST', '/v1/tx', { commands: commands(start, opts.batch, opts.txSize, runId), timeoutMs: 60_000 }, 'json', 70_000)
      latency.add(performance.now() - sentAt, opts.batch)
      acked += opts.batch
    } catch {
      failedRequests++
    }
  }

  const ticker = setInterval(() => {
    const s = (performance.now() - t0) / 1000
    say(`  ${s.toFixed(0)}s  submitted ${submitted}  acknowledged ${acked}  (${Math.round(acked / s)} tx/s)`)
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
        pending.push(send(i))
        const due = t0 + (i + 1) * interval
        const wait = due - performance.now()
        if (wait > 0) await sleep(wait)
      }
      await Promise.all(pending)
    }
  } finally {
    clearInterval(ticker)
  }
  if (acked === 0) throw failure(`no transaction was acknowledged (${failedRequests} requests failed); see the node logs`)

  // Done only when every node has applied everything that was acknowledged.
  say('  waiting for every node to apply every transaction')
  let tEnd = performance.now()
  const deadline = tEnd + 120_000
  for (;;) {
    const counts = await Promise.all(clients.map(async (c, i) => (await c.status()).committedTx - baseHeights[i]))
    tEnd = performance.now()
    if (counts.every(c => c >= acked)) break
    if (tEnd > deadline) throw failure(`nodes did not all apply ${acked} transactions within 120 s (${counts.join(', ')})`)
    await sleep(50)
  }
  const after = nodes.map(n => sampleProc(n.pid))
  const perNode = nodes.map((n, i) => {
    const a = before[i] as ProcSample | null
    const b = after[i] as ProcSample | null
    return { id: n.id, cpuPct: a != null && b != null ? cpuPercent(a, b) : 0, rssMiB: b?.rssMiB ?? 0 }
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
    machine: machineInfo(),
    mode: 'devnet'
  }
}
