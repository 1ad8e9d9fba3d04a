// Worker thread entry: cuts one segment of a file (see cut.ts).
import { parentPort } from 'node:worker_threads'
import { cutRange } from './cut.ts'
import type { CdcParams } from './fastcdc.ts'

parentPort?.on('message', (task: { path: string, params: CdcParams, from: number, to: number }) => {
  cutRange(task.path, task.params, task.from, task.to).then(
    (cut) => parentPort?.postMessage({ lengths: cut.lengths, digests: cut.digests }, [cut.lengths.buffer as ArrayBuffer]),
    (e: unknown) => parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) })
  )
})
