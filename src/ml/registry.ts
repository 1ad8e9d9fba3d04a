// Loads each model of the manifest once, refuses files whose sha256 or I/O shapes differ from the
// manifest, and runs batched inference on one worker thread so the caller's event loop never blocks.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { NovacronError } from '../config/errors.ts'
// Before the inference worker starts: the environment onnxruntime reads there is this process's (ort.ts).
import './ort-env.ts'
import { DEFAULT_MODELS_DIR, readManifest, sha256Hex, type Manifest, type ManifestEntry, type TensorSpec } from './manifest.ts'
import type { WireTensor, WorkerReply, WorkerRequest } from './worker.ts'

export type { WireTensor }

type Request = WorkerRequest extends infer R ? R extends unknown ? Omit<R, 'id'> : never : never

export class ModelRegistry {
  readonly dir: string
  readonly manifest: Manifest
  private worker: Worker | null = null
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void, reject: (e: Error) => void }>()
  private readonly loaded = new Map<string, Promise<ManifestEntry>>()

  constructor (dir: string = DEFAULT_MODELS_DIR) {
    this.dir = dir
    this.manifest = readManifest(dir)
  }

  list (): ManifestEntry[] {
    return Object.values(this.manifest.models)
  }

  entry (name: string): ManifestEntry {
    const e = this.manifest.models[name]
    if (e == null) {
      const known = Object.keys(this.manifest.models)
      throw new NovacronError('usage', `unknown model '${name}' (known: ${known.length > 0 ? known.join(', ') : 'none shipped'})`)
    }
    return e
  }

  /** Loads once; later calls share the first load's promise. */
  load (name: string): Promise<ManifestEntry> {
    let p = this.loaded.get(name)
    if (p == null) {
      p = this.doLoad(name)
      this.loaded.set(name, p)
      p.catch(() => this.loaded.delete(name))
    }
    return p
  }

  private async doLoad (name: string): Promise<ManifestEntry> {
    const entry = this.entry(name)
    const path = join(this.dir, entry.file)
    const bytes = readFileSync(path)
    const digest = sha256Hex(bytes)
    if (digest !== entry.sha256) throw new NovacronError('failure', `model ${name}: ${path} has sha256 ${digest}, the manifest says ${entry.sha256}`)
    const reply = await this.call({ kind: 'load', name, bytes: new Uint8Array(bytes) })
    if (reply.ok && reply.meta != null) {
      checkShapes(name, 'input', entry.inputs, reply.meta.inputs)
      checkShapes(name, 'output', entry.outputs, reply.meta.outputs)
    }
    return entry
  }

  /** One batched call: every feed carries the batch as its first dimension. */
  async run (name: string, feeds: Record<string, WireTensor>): Promise<Record<string, WireTensor>> {
    const entry = await this.load(name)
    for (const spec of entry.inputs) {
      const t = feeds[spec.name]
      if (t == null) throw new NovacronError('usage', `model ${name}: missing input '${spec.name}'`)
      if (!dimsMatch(spec.shape, t.dims) || t.data.length !== t.dims.reduce((a, b) => a * b, 1)) {
        throw new NovacronError('usage', `model ${name}: input '${spec.name}' has shape [${t.dims.join(', ')}], expected [${spec.shape.join(', ')}]`)
      }
    }
    const reply = await this.call({ kind: 'run', name, feeds })
    return reply.ok && reply.outputs != null ? reply.outputs : {}
  }

  /** Convenience for models with one 2-D input: rows in, the named output's rows out. */
  async runRows (name: string, rows: ArrayLike<number>[], output?: string): Promise<Float32Array[]> {
    const entry = this.entry(name)
    const input = entry.inputs[0]
    const width = Number(input.shape[1])
    const data = new Float32Array(rows.length * width)
    rows.forEach((r, i) => data.set(Array.from(r), i * width))
    const out = await this.run(name, { [input.name]: { data, dims: [rows.length, width] } })
    const t = out[output ?? entry.outputs[0].name]
    const per = t.data.length / Math.max(rows.length, 1)
    return rows.map((_, i) => t.data.slice(i * per, (i + 1) * per))
  }

  async close (): Promise<void> {
    const w = this.worker
    this.worker = null
    this.loaded.clear()
    if (w != null) await w.terminate()
  }

  private call (req: Request): Promise<WorkerReply & { ok: true }> {
    const worker = this.ensureWorker()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => r.ok ? resolve(r) : reject(new NovacronError('failure', `model ${req.name}: ${r.message}`)),
        reject
      })
      worker.ref()
      worker.postMessage({ ...req, id } as WorkerRequest)
    })
  }

  private ensureWorker (): Worker {
    if (this.worker != null) return this.worker
    const w = new Worker(new URL('./worker.ts', import.meta.url))
    w.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id)
      this.pending.delete(reply.id)
      // An idle worker must not keep a CLI process alive.
      if (this.pending.size === 0) w.unref()
      p?.resolve(reply)
    })
    w.on('error', (err) => this.failAll(err))
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null
      if (this.pending.size > 0) this.failAll(new Error(`inference worker exited with code ${code}`))
    })
    this.worker = w
    return w
  }

  private failAll (err: Error): void {
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
    this.loaded.clear()
  }
}

function dimsMatch (spec: Array<number | string>, dims: readonly unknown[]): boolean {
  return spec.length === dims.length && spec.every((d, i) => typeof d === 'string' || d === dims[i])
}

function checkShapes (model: string, what: string, specs: TensorSpec[], actual: Array<{ name: string, shape: unknown[] }>): void {
  const names = actual.map(a => a.name)
  const expected = specs.map(s => s.name)
  if (names.join(',') !== expected.join(',')) throw new NovacronError('failure', `model ${model}: ${what}s are [${names.join(', ')}], the manifest says [${expected.join(', ')}]`)
  specs.forEach((s, i) => {
    const got = actual[i].shape.map(d => typeof d === 'number' && d >= 0 ? d : 'N')
    if (!dimsMatch(s.shape, got) || got.some((d, j) => typeof d === 'string' && typeof s.shape[j] === 'number')) {
      throw new NovacronError('failure', `model ${model}: ${what} ${s.name} has shape [${got.join(', ')}] in the file, the manifest says [${s.shape.join(', ')}]`)
    }
  })
}
