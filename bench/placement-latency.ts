// Placement latency on a 4-node PBFT devnet of real processes: how long a `workload.place` takes from the
// proposer's submit to its commit (measured by the proposing node), against a kv put's submit-to-commit
// measured by the client, and the policy's decision time. Several runs; medians. Prints a table and JSON.
//   npm run bench:placement-latency -- [--runs 3] [--count 60]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AdminClient } from '../src/api/client.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, count: { type: 'string', default: '60' }, json: { type: 'boolean', default: false } } })
const runs = Number(values.runs)
const count = Number(values.count)
const bin = join(import.meta.dirname, '..', 'bin', 'novacron.js')
const cli = (args: string[]): string => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`novacron ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const pct = (xs: number[], q: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))] }
const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

const results = []
for (let run = 0; run < runs; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'nc-bench-place-'))
  const up = JSON.parse(cli(['devnet', 'up', '--nodes', '4', '--dir', dir, '--json']))
  try {
    const clients = up.nodes.map((n: any) => new AdminClient({ url: n.admin, token: readFileSync(join(n.dataDir, 'admin.token'), 'utf8').trim(), timeoutMs: 30_000 }))
    await sleep(6000) // hosts register and heartbeat
    const put: number[] = []
    for (let i = 0; i < count; i++) {
      const t0 = performance.now()
      await clients[i % 4].request('POST', '/v1/kv/put', { key: `k${i}`, value: 'v' })
      put.push(performance.now() - t0)
    }
    const endToEnd: number[] = []
    for (let i = 0; i < count; i++) {
      const t0 = performance.now()
      const w: any = await clients[i % 4].request('POST', '/v1/workloads', { cpu: 0, memMiB: 1, name: `b${i}` })
      for (;;) {
        const s: any = await clients[i % 4].request('GET', `/v1/workload?id=${w.id}`)
        if (s.state !== 'pending') break
        await sleep(2)
      }
      endToEnd.push(performance.now() - t0)
    }
    const stats = await Promise.all(clients.map(async (c: AdminClient) => await c.request<any>('GET', '/v1/placement')))
    const proposer = stats.reduce((a: any, b: any) => (b.placements > a.placements ? b : a))
    results.push({
      run,
      kvPutMs: { p50: median(put), p99: pct(put, 0.99) },
      placeCommitMs: proposer.placeCommitMs,
      submitToPlacedMs: { p50: median(endToEnd), p99: pct(endToEnd, 0.99) },
      decisionMs: proposer.decisionMs,
      placements: proposer.placements,
      policy: proposer.policy
    })
  } finally {
    cli(['devnet', 'down', '--dir', dir])
    rmSync(dir, { recursive: true, force: true })
  }
}
const summary = {
  runs,
  count,
  kvPutMsP50: median(results.map(r => r.kvPutMs.p50)),
  placeCommitMsP50: median(results.map(r => r.placeCommitMs.p50)),
  placeCommitMsP99: median(results.map(r => r.placeCommitMs.p99)),
  kvPutMsP99: median(results.map(r => r.kvPutMs.p99)),
  submitToPlacedMsP50: median(results.map(r => r.submitToPlacedMs.p50)),
  decisionMsP99: median(results.map(r => r.decisionMs.p99)),
  results
}
if (values.json === true) console.log(JSON.stringify(summary))
else {
  console.log('run  kv put p50/p99 ms   place commit p50/p99 ms   submit->placed p50/p99 ms   decision p99 ms')
  for (const r of results) console.log(`${r.run}    ${r.kvPutMs.p50.toFixed(1)}/${r.kvPutMs.p99.toFixed(1)}            ${r.placeCommitMs.p50}/${r.placeCommitMs.p99}                ${r.submitToPlacedMs.p50.toFixed(1)}/${r.submitToPlacedMs.p99.toFixed(1)}                  ${r.decisionMs.p99}`)
  console.log(JSON.stringify(summary))
}
