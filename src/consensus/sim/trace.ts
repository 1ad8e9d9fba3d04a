// A cheap running digest of everything that happened in a run (deliveries, commits, crashes), to compare
// two runs of one seed. Two independent 32-bit lanes make accidental collisions negligible.
export class TraceHash {
  #a = 0x811c9dc5
  #b = 0x01000193
  events = 0

  add (...values: number[]): void {
    this.events++
    for (const v of values) {
      const x = v | 0
      const y = Math.floor(v / 4294967296) | 0
      this.#a = Math.imul(this.#a ^ x, 0x01000193)
      this.#a = Math.imul(this.#a ^ y, 0x01000193)
      this.#b = Math.imul(this.#b ^ x, 0x5bd1e995)
      this.#b ^= this.#b >>> 15
      this.#b = Math.imul(this.#b ^ y, 0x5bd1e995)
    }
  }

  addBytes (bytes: Uint8Array, count = 8): void {
    let v = 0
    const start = Math.max(0, bytes.length - count)
    for (let i = start; i < bytes.length; i++) v = (Math.imul(v, 31) + bytes[i]) | 0
    this.add(bytes.length, v)
  }

  digest (): string {
    return (this.#a >>> 0).toString(16).padStart(8, '0') + (this.#b >>> 0).toString(16).padStart(8, '0')
  }
}
