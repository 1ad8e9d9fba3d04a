// The node's health loop: one HealthMonitor (the DWCP resilience one) over every part, checked every
// 10 s; a failed part with a restart hook is restarted after 1 s, 2 s, 4 s. Its report is `status.health`.
import { HealthMonitor, type DwcpService } from '../dwcp/index.ts'
import type { HealthJson } from '../api/types.ts'
import type { Metrics } from '../metrics/index.ts'
import type { Storage } from '../state/index.ts'
import type { ConsensusHost } from './consensus-host.ts'

export interface HealthParts {
  /** Validators reachable, this node included, and how many the cluster has. */
  reachable: () => { reachable: number, n: number, f: number }
  storage: Storage
  consensus: ConsensusHost | null
  dwcp: DwcpService
}

export function createHealthMonitor (parts: HealthParts): HealthMonitor {
  const monitor = new HealthMonitor()
  monitor.register({
    name: 'net',
    check: async () => {
      const { reachable, n, f } = parts.reachable()
      return reachable >= n - f ? 'ok' : reachable > 1 || n === 1 ? 'degraded' : 'failed'
    }
  })
  monitor.register({ name: 'storage', check: async () => parts.storage.health().writable })
  if (parts.consensus != null) {
    const consensus = parts.consensus
    monitor.register({ name: 'consensus', check: async () => consensus.haltReason == null })
  }
  monitor.register(parts.dwcp.healthComponent('dwcp'))
  return monitor
}

export function healthJson (monitor: HealthMonitor): HealthJson {
  const report = monitor.report()
  return {
    status: report.status === 'failed' ? 'down' : report.status,
    components: report.components.map(c => ({
      name: c.name,
      status: c.status === 'failed' || c.status === 'restarting' ? 'down' : c.status,
      circuit: c.circuit,
      restarts: c.restarts
    }))
  }
}

const STATUS_VALUE = { ok: 0, degraded: 1, failed: 2, restarting: 2 } as const

/** Copies the loop's states and DWCP's counters into /metrics just before a scrape. */
export function refreshMetrics (metrics: Metrics, monitor: HealthMonitor, dwcp: DwcpService): void {
  for (const c of monitor.states()) {
    metrics.health.component.set({ name: c.name }, STATUS_VALUE[c.status])
    metrics.health.restarts.set({ name: c.name }, c.restarts)
  }
  const d = dwcp.metrics()
  metrics.dwcp.transfers.set({ direction: 'send', outcome: 'ok' }, d.transfersSent)
  metrics.dwcp.transfers.set({ direction: 'send', outcome: 'failed' }, d.transfersFailed)
  metrics.dwcp.transfers.set({ direction: 'receive', outcome: 'ok' }, d.transfersReceived)
  metrics.dwcp.bytes.set({ kind: 'raw' }, d.bytesRaw)
  metrics.dwcp.bytes.set({ kind: 'wire' }, d.bytesSent)
  metrics.dwcp.chunksResent.set(d.chunksResent)
  for (const [codec, n] of Object.entries(d.chunksByCodec)) metrics.dwcp.chunksByCodec.set({ codec }, n ?? 0)
  for (const [peer, status] of Object.entries(dwcp.breakers.statuses())) metrics.dwcp.circuitOpen.set({ peer }, status === 'open' ? 1 : status === 'half-open' ? 0.5 : 0)
}
