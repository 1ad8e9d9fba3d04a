// The inference thread: onnxruntime-node's run() blocks its thread for the whole call, so sessions live
// here and the node's event loop only posts tensors and awaits answers.
import { parentPort } from 'node:worker_threads'
import ort from './ort.ts'

export interface WireTensor { data: Float32Array, dims: number[] }
export type WorkerRequest =
  | { id: number, kind: 'load', name: string, bytes: Uint8Array }
  | { id: number, kind: 'run', name: string, feeds: Record<string, WireTensor> }
export type WorkerReply =
  | { id: number, ok: true, meta?: { inputs: Array<{ name: string, shape: unknown[] }>, outputs: Array<{ name: string, shape: unknown[] }> }, outputs?: Record<string, WireTensor> }
  | { id: number, ok: false, message: string }

const sessions = new Map<string, ort.InferenceSession>()

function shapes (meta: readonly ort.InferenceSession.ValueMetadata[]): Array<{ name: string, shape: unknown[] }> {
  return meta.map(m => ({ name: m.name, shape: m.isTensor ? [...m.shape] : [] }))
}

async function handle (req: WorkerRequest): Promise<WorkerReply> {
  if (req.kind === 'load') {
    // One thread per session: calls are tiny, and the node shares its cores with consensus and DWCP.
    const session = await ort.InferenceSession.create(req.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
    sessions.set(req.name, session)
    return { id: req.id, ok: true, meta: { inputs: shapes(session.inputMetadata), outputs: shapes(session.outputMetadata) } }
  }
  const session = sessions.get(req.name)
  if (session == null) return { id: req.id, ok: false, message: `model ${req.name} is not loaded` }
  const feeds: Record<string, ort.Tensor> = {}
  for (const [k, t] of Object.entries(req.feeds)) feeds[k] = new ort.Tensor('float32', t.data, t.dims)
  const result = await session.run(feeds)
  const outputs: Record<string, WireTensor> = {}
  for (const [k, t] of Object.entries(result)) outputs[k] = { data: Float32Array.from(t.data as ArrayLike<number | bigint>, Number), dims: [...t.dims] }
  return { id: req.id, ok: true, outputs }
}

parentPort?.on('message', (req: WorkerRequest) => {
  handle(req).then(
    (reply) => parentPort?.postMessage(reply, Object.values(reply.ok && reply.outputs != null ? reply.outputs : {}).map(t => t.data.buffer as ArrayBuffer)),
    (err: unknown) => parentPort?.postMessage({ id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply)
  )
})
