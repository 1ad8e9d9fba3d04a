// Runs inside a namespace next to a node: sends each job's file through that node's admin API and
// prints one JSON summary per job (the admin API listens on the namespace's own loopback).
//   node bench/lib/dwcp-jobs.ts DATA_DIR JOBS_JSON_FILE
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AdminClient } from '../../src/api/client.ts'

interface Job { file: string, to: string, codec: string, baseName?: string }

const [dataDir, jobsFile] = process.argv.slice(2)
const admin = JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')).admin as string
const client = new AdminClient({ url: admin, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() })
for (const job of JSON.parse(readFileSync(jobsFile, 'utf8')) as Job[]) {
  const started = performance.now()
  try {
    const s = await client.request<any>('POST', '/v1/transfers', { file: job.file, to: job.to, codec: job.codec, baseName: job.baseName }, 'json', 0)
    process.stdout.write(JSON.stringify({ ...job, ok: true, rawBytes: s.rawBytes, sentBytes: s.sentBytes, seconds: s.seconds, wallS: (performance.now() - started) / 1000, codecMix: s.codecMix, streams: s.streams }) + '\n')
  } catch (err) {
    process.stdout.write(JSON.stringify({ ...job, ok: false, error: (err as Error).message }) + '\n')
  }
}
