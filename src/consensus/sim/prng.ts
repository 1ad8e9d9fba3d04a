// sfc32: a small, fast, seedable generator. Every random choice of a run flows from one seed, which is
// what makes a failing run replayable.
export class Prng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor (seed: number) {
    this.#a = 0x9e3779b9
    this.#b = 0x243f6a88
    this.#c = 0xb7e15162
    this.#d = seed >>> 0
    for (let i = 0; i < 16; i++) this.next()
  }

  /** Uniform in [0, 2^32). */
  next (): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  float (): number { return this.next() / 4294967296 }
  /** Uniform integer in [0, n). */
  int (n: number): number { return Math.floor(this.float() * n) }
  range (lo: number, hi: number): number { return lo + this.float() * (hi - lo) }
  chance (p: number): boolean { return this.float() < p }
  pick<T> (items: readonly T[]): T { return items[this.int(items.length)] }

  shuffle<T> (items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = out[i]
      out[i] = out[j]
      out[j] = t
    }
    return out
  }

  /** An independent generator for one purpose, so adding draws in one place does not shift another. */
  fork (salt: number): Prng { return new Prng((this.next() ^ Math.imul(salt, 0x85ebca6b)) >>> 0) }
}
