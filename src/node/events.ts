// Recent notable events (peers joining and leaving, view changes, errors) for `status`; bounded.
import type { EventJson } from '../api/types.ts'

export class EventLog {
  private readonly capacity: number
  private readonly items: EventJson[] = []

  constructor (capacity = 50) {
    this.capacity = capacity
  }

  push (level: EventJson['level'], msg: string, at = new Date()): void {
    this.items.push({ at: at.toISOString(), level, msg })
    if (this.items.length > this.capacity) this.items.shift()
  }

  recent (limit = 20): EventJson[] {
    return this.items.slice(-limit).reverse()
  }
}
