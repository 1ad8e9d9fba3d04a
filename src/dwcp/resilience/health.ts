// The health loop: every interval it checks each registered component; a failed one is restarted after
// 1 s, then 2 s, then 4 s (and every 4 s after that) until a check passes again. Its states are what
// `status --json` shows under `health` and what /metrics exports.
import type { CircuitStatus } from './breaker.ts'
import { systemClock } from './clock.ts'
import type { Clock } from './clock.ts'

export type ComponentStatus = 'ok' | 'degraded' | 'failed' | 'restarting'

export interface HealthComponent {
  name: string
  /** true/'ok' healthy, 'degraded' working but impaired, false/'failed' (or a throw) broken. */
  check: () => Promise<boolean | 'ok' | 'degraded' | 'failed'>
  /** Brings a failed component back; without it a failed component is only reported. */
  restart?: () => Promise<void>
  /** The breaker guarding the component's peer or connection, if any. */
  circuit?: () => CircuitStatus | null
}

/** One entry of `status.health.components` (CLI.md). */
export interface ComponentState {
  name: string
  status: ComponentStatus
  circuit: CircuitStatus | null
  restarts: number
  lastError: string | null
  checkedAt: number | null
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'failed'
  components: ComponentState[]
}

export interface HealthMonitorOptions {
  clock?: Clock
  intervalMs?: number
  restartDelaysMs?: readonly number[]
  /** A check that takes longer counts as failed. */
  checkTimeoutMs?: number
  onChange?: (state: ComponentState) => void
}

interface Entry {
  component: HealthComponent
  state: ComponentState
  /** Restarts since the last passing check: picks the next delay. */
  attempt: number
  restartTimer: unknown
  busy: boolean
}

export class HealthMonitor {
  private readonly clock: Clock
  private readonly intervalMs: number
  private readonly delays: readonly number[]
  private readonly checkTimeoutMs: number
  private readonly onChange: ((s: ComponentState) => void) | undefined
  private readonly entries = new Map<string, Entry>()
  private tickTimer: unknown
  private running = false
  private readonly restarting = new Set<Promise<void>>()

  constructor (opts: HealthMonitorOptions = {}) {
    this.clock = opts.clock ?? systemClock
    this.intervalMs = opts.intervalMs ?? 10_000
    this.delays = opts.restartDelaysMs ?? [1_000, 2_000, 4_000]
    this.checkTimeoutMs = opts.checkTimeoutMs ?? 5_000
    this.onChange = opts.onChange
  }

  register (component: HealthComponent): void {
    if (this.entries.has(component.name)) throw new Error(`health component ${component.name} already registered`)
    this.entries.set(component.name, {
      component,
      state: { name: component.name, status: 'ok', circuit: null, restarts: 0, lastError: null, checkedAt: null },
      attempt: 0,
      restartTimer: undefined,
      busy: false
    })
  }

  unregister (name: string): void {
    const e = this.entries.get(name)
    if (e?.restartTimer !== undefined) this.clock.clearTimeout(e.restartTimer)
    this.entries.delete(name)
  }

  start (): void {
    if (this.running) return
    this.running = true
    const tick = (): void => {
      if (!this.running) return
      void this.checkAll().finally(() => {
        if (this.running) this.tickTimer = this.clock.setTimeout(tick, this.intervalMs)
      })
    }
    tick()
  }

  stop (): void {
    this.running = false
    if (this.tickTimer !== undefined) this.clock.clearTimeout(this.tickTimer)
    for (const e of this.entries.values()) {
      if (e.restartTimer !== undefined) this.clock.clearTimeout(e.restartTimer)
      e.restartTimer = undefined
    }
  }

  async checkAll (): Promise<void> {
    await Promise.all([...this.entries.values()].map(async (e) => await this.check(e)))
  }

  private set (e: Entry, patch: Partial<ComponentState>): void {
    const before = e.state.status
    e.state = { ...e.state, ...patch }
    if (patch.status !== undefined && patch.status !== before) this.onChange?.(e.state)
  }

  private async runCheck (c: HealthComponent): Promise<{ status: 'ok' | 'degraded' | 'failed', error: string | null }> {
    let timer: unknown
    try {
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = this.clock.setTimeout(() => reject(new Error(`check timed out after ${this.checkTimeoutMs} ms`)), this.checkTimeoutMs)
      })
      const r = await Promise.race([c.check(), timeout])
      const status = r === true ? 'ok' : r === false ? 'failed' : r
      return { status, error: status === 'failed' ? 'check failed' : null }
    } catch (err) {
      return { status: 'failed', error: err instanceof Error ? err.message : String(err) }
    } finally {
      this.clock.clearTimeout(timer)
    }
  }

  private async check (e: Entry): Promise<void> {
    // A component waiting for its restart is not checked again in the meantime.
    if (e.busy || e.restartTimer !== undefined) return
    e.busy = true
    try {
      const r = await this.runCheck(e.component)
      this.set(e, { status: r.status, lastError: r.error, checkedAt: this.clock.now(), circuit: e.component.circuit?.() ?? null })
      if (r.status !== 'failed') {
        e.attempt = 0
        return
      }
      this.scheduleRestart(e)
    } finally {
      e.busy = false
    }
  }

  private scheduleRestart (e: Entry): void {
    if (e.component.restart === undefined || !this.entries.has(e.state.name)) return
    const delay = this.delays[Math.min(e.attempt, this.delays.length - 1)]
    e.restartTimer = this.clock.setTimeout(() => {
      e.restartTimer = undefined
      const p = this.restart(e).finally(() => this.restarting.delete(p))
      this.restarting.add(p)
    }, delay)
  }

  private async restart (e: Entry): Promise<void> {
    e.attempt++
    this.set(e, { status: 'restarting', restarts: e.state.restarts + 1 })
    try {
      await e.component.restart?.()
    } catch (err) {
      this.set(e, { status: 'failed', lastError: err instanceof Error ? err.message : String(err) })
      this.scheduleRestart(e)
      return
    }
    await this.check(e)
  }

  /** Resolves once the restarts already under way (and their follow-up checks) are done. */
  async settled (): Promise<void> {
    while (this.restarting.size > 0) await Promise.allSettled([...this.restarting])
  }

  states (): ComponentState[] {
    return [...this.entries.values()].map((e) => ({ ...e.state, circuit: e.component.circuit?.() ?? e.state.circuit }))
  }

  /** `status.health` (CLI.md): failed if any component is failed or restarting, degraded if any is. */
  report (): HealthReport {
    const components = this.states()
    const status = components.some((c) => c.status === 'failed' || c.status === 'restarting')
      ? 'failed'
      : components.some((c) => c.status === 'degraded') ? 'degraded' : 'ok'
    return { status, components }
  }
}
