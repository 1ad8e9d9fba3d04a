/** A fixed-size set of chunk indices; its bytes are what `accept` sends for resume. */
export class Bitmap {
  readonly size: number
  readonly bytes: Uint8Array
  private ones = 0

  constructor (size: number, bytes?: Uint8Array) {
    this.size = size
    this.bytes = new Uint8Array(Math.ceil(size / 8))
    if (bytes === undefined) return
    for (let i = 0; i < size; i++) if ((bytes[i >> 3] & (1 << (i & 7))) !== 0) this.set(i)
  }

  has (i: number): boolean {
    return (this.bytes[i >> 3] & (1 << (i & 7))) !== 0
  }

  set (i: number): void {
    if (i < 0 || i >= this.size || this.has(i)) return
    this.bytes[i >> 3] |= 1 << (i & 7)
    this.ones++
  }

  get count (): number {
    return this.ones
  }

  get full (): boolean {
    return this.ones === this.size
  }
}
