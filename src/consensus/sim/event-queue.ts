// Discrete-event queue: a binary heap ordered by (time, insertion order), so simultaneous events run in
// the order they were scheduled and the run is deterministic.
interface Entry { readonly at: number, readonly order: number, readonly run: () => void }

export class EventQueue {
  readonly #heap: Entry[] = []
  #order = 0

  get size (): number { return this.#heap.length }

  push (at: number, run: () => void): void {
    const h = this.#heap
    h.push({ at, order: this.#order++, run })
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i], h[p])) break
      const t = h[i]; h[i] = h[p]; h[p] = t
      i = p
    }
  }

  peekTime (): number { return this.#heap.length > 0 ? this.#heap[0].at : Infinity }

  pop (): Entry | undefined {
    const h = this.#heap
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop() as Entry
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l], h[m])) m = l
        if (r < h.length && before(h[r], h[m])) m = r
        if (m === i) break
        const t = h[i]; h[i] = h[m]; h[m] = t
        i = m
      }
    }
    return top
  }
}

const before = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.order < b.order)
