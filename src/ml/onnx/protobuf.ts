// A minimal protobuf writer: ONNX files are protobuf, and the few message types we emit do not justify a
// code generator or a runtime dependency. Only the wire types ONNX needs: varint, 32-bit and length-delimited.
export class ProtoWriter {
  private chunks: Uint8Array[] = []
  private length = 0

  private push (bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.byteLength
  }

  private varint (value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value))
    const out: number[] = []
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    out.push(Number(v))
    this.push(Uint8Array.from(out))
  }

  private tag (field: number, wire: number): void {
    this.varint((field << 3) | wire)
  }

  int (field: number, value: number): this {
    this.tag(field, 0)
    this.varint(value)
    return this
  }

  float (field: number, value: number): this {
    this.tag(field, 5)
    const b = new Uint8Array(4)
    new DataView(b.buffer).setFloat32(0, value, true)
    this.push(b)
    return this
  }

  bytes (field: number, value: Uint8Array): this {
    this.tag(field, 2)
    this.varint(value.byteLength)
    this.push(value)
    return this
  }

  string (field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  message (field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter()
    build(w)
    return this.bytes(field, w.finish())
  }

  packedFloats (field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 4)
    const view = new DataView(b.buffer)
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true)
    return this.bytes(field, b)
  }

  packedInts (field: number, values: ArrayLike<number>): this {
    const w = new ProtoWriter()
    for (let i = 0; i < values.length; i++) w.varint(values[i])
    return this.bytes(field, w.finish())
  }

  finish (): Uint8Array {
    const out = new Uint8Array(this.length)
    let at = 0
    for (const c of this.chunks) {
      out.set(c, at)
      at += c.byteLength
    }
    return out
  }
}
