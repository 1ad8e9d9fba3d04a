// Plain counters behind DriverMetrics: what the simulator asserts on and a default for the node to export.
import type { LogEvent } from '../core/protocol.ts'
import type { DriverMetrics, DropReason } from './interfaces.ts'

export class CountingMetrics implements DriverMetrics {
  readonly drops = new Map<DropReason, number>()
  viewChanges = 0
  commits = 0
  committedTxs = 0
  readonly batchSizes: number[] = []
  readonly events = new Map<string, number>()
  /** Each 'epoch-config' event's configuration hash by epoch, as last reported (protocols with epochs). */
  readonly epochConfigs = new Map<number, string>()
  /** Epochs whose configuration this node reported differently at different times. */
  readonly epochConfigChanges: Array<{ readonly epoch: number, readonly was: string, readonly now: string }> = []

  dropped (reason: DropReason): void { this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1) }
  viewChange (): void { this.viewChanges++ }
  committed (_seq: number, batchSize: number): void {
    this.commits++
    this.committedTxs += batchSize
    this.batchSizes.push(batchSize)
  }

  event (e: LogEvent): void {
    this.events.set(e.type, (this.events.get(e.type) ?? 0) + 1)
    if (e.type === 'epoch-config' && typeof e.epoch === 'number' && typeof e.config === 'string') {
      const was = this.epochConfigs.get(e.epoch)
      if (was !== undefined && was !== e.config) this.epochConfigChanges.push({ epoch: e.epoch, was, now: e.config })
      this.epochConfigs.set(e.epoch, e.config)
    }
  }

  get droppedTotal (): number {
    let t = 0
    for (const v of this.drops.values()) t += v
    return t
  }
}
