// `novacron bench --etcd`: etcd side by side, in the same run and on the same machine, so a NovaCron figure
// comes with the ratio to a well-known replicated store under the same load. Three etcd members on
// loopback (Debian's etcd-server; skipped with a note when `etcd` is not installed), closed-loop puts of
// values the size of the bench's transactions through etcd's JSON gateway (/v3/kv/put), each acknowledged
// once the Raft quorum committed it (etcd's own ack), latency from send to response.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from '../devnet.ts'
import { LatencyRecorder } from './stats.ts'

export interface EtcdResult {
  version: string
  members: number
  clients: number
  valueBytes: number
  durationS: number
  writesPerS: number
  latencyMs: { p50: number | null, p90: number | null, p99: number | null }
  failedRequests: number
}

/** etcd's version line, or null when no `etcd` binary is on PATH. */
export function etcdVersion (): string | null {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' })
  if (r.error != null || r.status !== 0) return null
  return /etcd Version: (\S+)/.exec(r.stdout)?.[1] ?? 'unknown'
}

export async function runEtcdBench (opts: { durationS: number, valueBytes: number, clients: number, members?: number }): Promise<EtcdResult | null> {
  const version = etcdVersion()
  if (version == null) return null
  const members = opts.members ?? 3
  const dir = mkdtempSync(join(tmpdir(), 'novacron-etcd-'))
  const ports = await Promise.all(Array.from({ length: members }, async () => ({ client: await freePort(), peer: await freePort() })))
  const cluster = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',')
  const children: ChildProcess[] = ports.map((p, i) => spawn('etcd', [
    '--name', `m${i}`, '--data-dir', join(dir, `m${i}`), '--log-level', 'error',
    '--listen-client-urls', `http://127.0.0.1:${p.client}`, '--advertise-client-urls', `http://127.0.0.1:${p.client}`,
    '--listen-peer-urls', `http://127.0.0.1:${p.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${p.peer}`,
    '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'novacron-bench'
  ], { stdio: 'ignore', detached: true }))
  const urls = ports.map(p => `http://127.0.0.1:${p.client}`)
  try {
    const healthyBy = performance.now() + 30_000
    for (const url of urls) {
      for (;;) {
        const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then(async r => ((await r.json()) as { health?: string }).health === 'true', () => false)
        if (ok) break
        if (performance.now() > healthyBy) throw new Error(`etcd member ${url} did not become healthy within 30 s`)
        await sleep(100)
      }
    }
    const latency = new LatencyRecorder()
    const value = (): string => randomBytes(opts.valueBytes).toString('base64')
    let acked = 0
    let failed = 0
    let n = 0
    const t0 = performance.now()
    const endAt = t0 + opts.durationS * 1000
    await Promise.all(Array.from({ length: opts.clients }, async (_, c) => {
      while (performance.now() < endAt) {
        const key = Buffer.from(`bench/${n++}`).toString('base64')
        const sentAt = performance.now()
        try {
          const r = await fetch(`${urls[c % urls.length]}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key, value: value() }), signal: AbortSignal.timeout(10_000) })
          await r.arrayBuffer()
          if (!r.ok) throw new Error(`HTTP ${r.status}`)
          latency.add(performance.now() - sentAt, 1)
          acked++
        } catch {
          failed++
        }
      }
    }))
    const s = (performance.now() - t0) / 1000
    return { version, members, clients: opts.clients, valueBytes: opts.valueBytes, durationS: opts.durationS, writesPerS: Math.round(acked / s), latencyMs: latency.summary(), failedRequests: failed }
  } finally {
    for (const child of children) {
      try { if (child.pid != null) process.kill(-child.pid, 'SIGKILL') } catch { /* already gone */ }
    }
    await sleep(200)
    rmSync(dir, { recursive: true, force: true })
  }
}
