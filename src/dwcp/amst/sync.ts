// Small coordination primitives for the transfer loops.

/** Wakes every waiter at once whenever something they may be waiting for changed. */
export class Notifier {
  private waiters: Array<() => void> = []

  async wait (): Promise<void> {
    await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  notify (): void {
    for (const w of this.waiters.splice(0)) w()
  }
}

/** Counting semaphore; open() lets every current and future acquirer through (used on failure). */
export class Semaphore {
  private available: number
  private waiters: Array<() => void> = []
  private opened = false

  constructor (permits: number) {
    this.available = permits
  }

  async acquire (): Promise<void> {
    if (this.opened) return
    if (this.available > 0) {
      this.available--
      return
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  release (): void {
    const next = this.waiters.shift()
    if (next !== undefined) next()
    else this.available++
  }

  open (): void {
    this.opened = true
    for (const w of this.waiters.splice(0)) w()
  }
}
