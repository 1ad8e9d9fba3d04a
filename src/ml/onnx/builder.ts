// Builds ONNX ModelProto bytes from a small graph description. No JavaScript ONNX exporter exists, so the
// training pipelines describe their graphs here. IR 8 / opset 17 is the newest that Debian's onnx checker
// (1.12) accepts, and onnxruntime reads it too.
import { ProtoWriter } from './protobuf.ts'

export const IR_VERSION = 8
export const OPSET = 17
export const ML_OPSET = 3

export type Attr =
  | { f: number } | { i: number } | { s: string }
  | { floats: ArrayLike<number> } | { ints: ArrayLike<number> } | { strings: string[] }
  | { t: TensorInit }

export interface GraphNode {
  op: string
  inputs: string[]
  outputs: string[]
  domain?: string
  name?: string
  attrs?: Record<string, Attr>
}

export interface TensorInit {
  name: string
  dims: number[]
  type: 'float' | 'int64'
  data: ArrayLike<number>
}

/** A graph input or output; a string dimension is symbolic (the batch). */
export interface ValueInfo {
  name: string
  shape: Array<number | string>
  type?: 'float' | 'int64'
}

export interface ModelSpec {
  name: string
  doc?: string
  inputs: ValueInfo[]
  outputs: ValueInfo[]
  nodes: GraphNode[]
  initializers?: TensorInit[]
  metadata?: Record<string, string>
  /** ai.onnx.ml is imported only where a node uses it. */
  usesMl?: boolean
}

const DATA_TYPE = { float: 1, int64: 7 } as const

function writeTensor (w: ProtoWriter, t: TensorInit): void {
  w.packedInts(1, t.dims)
  w.int(2, DATA_TYPE[t.type])
  w.string(8, t.name)
  if (t.type === 'float') {
    const raw = new Uint8Array(t.data.length * 4)
    const view = new DataView(raw.buffer)
    for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i], true)
    w.bytes(9, raw)
  } else {
    w.packedInts(7, t.data)
  }
}

function writeAttr (w: ProtoWriter, name: string, a: Attr): void {
  w.string(1, name)
  if ('f' in a) w.float(2, a.f).int(20, 1)
  else if ('i' in a) w.int(3, a.i).int(20, 2)
  else if ('s' in a) w.string(4, a.s).int(20, 3)
  else if ('t' in a) w.message(5, (t) => writeTensor(t, a.t)).int(20, 4)
  else if ('floats' in a) w.packedFloats(7, a.floats).int(20, 6)
  else if ('ints' in a) w.packedInts(8, a.ints).int(20, 7)
  else {
    for (const s of a.strings) w.string(9, s)
    w.int(20, 8)
  }
}

function writeValueInfo (w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name)
  w.message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, DATA_TYPE[v.type ?? 'float'])
    tensor.message(2, (shape) => {
      for (const d of v.shape) shape.message(1, (dim) => typeof d === 'number' ? dim.int(1, d) : dim.string(2, d))
    })
  }))
}

export function encodeModel (spec: ModelSpec): Uint8Array {
  const w = new ProtoWriter()
  w.int(1, IR_VERSION)
  w.string(2, 'novacron')
  w.string(3, '1')
  w.string(4, 'novacron.ml')
  w.int(5, 1)
  if (spec.doc != null) w.string(6, spec.doc)
  w.message(7, (g) => {
    spec.nodes.forEach((n, i) => g.message(1, (nw) => {
      for (const x of n.inputs) nw.string(1, x)
      for (const y of n.outputs) nw.string(2, y)
      nw.string(3, n.name ?? `${n.op}_${i}`)
      nw.string(4, n.op)
      for (const [k, a] of Object.entries(n.attrs ?? {})) nw.message(5, (aw) => writeAttr(aw, k, a))
      if (n.domain != null && n.domain !== '') nw.string(7, n.domain)
    }))
    g.string(2, spec.name)
    for (const t of spec.initializers ?? []) g.message(5, (tw) => writeTensor(tw, t))
    for (const v of spec.inputs) g.message(11, (vw) => writeValueInfo(vw, v))
    for (const v of spec.outputs) g.message(12, (vw) => writeValueInfo(vw, v))
  })
  w.message(8, (o) => o.string(1, '').int(2, OPSET))
  if (spec.usesMl === true) w.message(8, (o) => o.string(1, 'ai.onnx.ml').int(2, ML_OPSET))
  for (const [k, v] of Object.entries(spec.metadata ?? {})) w.message(14, (m) => m.string(1, k).string(2, v))
  return w.finish()
}
