// Real devnet measurements for the consensus-latency data set, a source of their own (`source: "devnet"`):
// for each registered protocol and load, a fresh 4-node devnet on loopback, a 2 s warm-up, then back-to-back
// 2 s open-loop intervals (the bench's driver), each interval's p50/p99 request latency one row's target and
// the next row's history. Ping RTTs come from the first node's peer table. On a loaded 2-core machine these
// measure CPU, not a network: the model never trains on them, they are only scored (leave-one-group-out).
// `npx node scripts/consensus-latency-devnet.ts [--out DIR] [--intervals 6] [--rates 40,150] [--protocols a,b] [--file devnet.jsonl]`
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { drive } from '../src/cli/bench/devnet-bench.ts'
import { clientFor, devnetDown, devnetUp } from '../src/cli/devnet.ts'
import { availableProtocols, protocolModule } from '../src/consensus/registry.ts'
import { EWMA_ALPHA, type LatencyRow } from '../src/ml/data/consensus-sim.ts'

const { values } = parseArgs({ options: { out: { type: 'string', default: '.scratch/consensus-latency' }, intervals: { type: 'string', default: '6' }, rates: { type: 'string', default: '40,150' }, nodes: { type: 'string', default: '4' }, protocols: { type: 'string' }, file: { type: 'string', default: 'devnet.jsonl' } } })
const TX_BYTES = 512
const nodes = Number(values.nodes)
const rows: LatencyRow[] = []
for (const protocol of values.protocols?.split(',') ?? availableProtocols()) {
  for (const rate of values.rates.split(',').map(Number)) {
    const dir = mkdtempSync(join(tmpdir(), 'novacron-cl-devnet-'))
    const say = (m: string): void => { process.stderr.write(`${protocol} ${rate}: ${m}\n`) }
    const up = await devnetUp({ dir, nodes, protocol, logLevel: 'warn' }, { progress: say })
    try {
      const opts = { protocol, nodes, durationS: 2, txSize: TX_BYTES, rate, batch: Math.max(1, Math.floor(rate / 20)), inflightPerNode: 4 }
      await drive(up.nodes, opts, () => {}).catch(() => null)
      const peers = await clientFor(up.nodes[0]).request<Array<{ latencyMs: number | null }>>('GET', '/v1/peers', undefined, 'json', 5000)
      const rtts = peers.map(p => p.latencyMs).filter((x): x is number => x != null).sort((a, b) => a - b)
      const rtt = { p50: rtts[Math.floor(rtts.length / 2)] ?? 0.1, p90: rtts[Math.min(rtts.length - 1, Math.floor(0.9 * rtts.length))] ?? 0.1 }
      const stats: Array<{ p50: number, p99: number, count: number }> = []
      for (let i = 0; i < Number(values.intervals); i++) {
        const r = await drive(up.nodes, opts, () => {})
        stats.push({ p50: r.latencyMs.p50 ?? NaN, p99: r.latencyMs.p99 ?? NaN, count: r.committedTx })
      }
      const batchSize = protocolModule(protocol).params.genesisDefaults.batchSize ?? 0
      const config = `devnet/${protocol}/n${nodes}/r${rate}/p${TX_BYTES}`
      let ewma = NaN
      for (let i = 1; i < stats.length; i++) {
        const last = stats[i - 1]
        ewma = Number.isNaN(ewma) ? last.p99 : EWMA_ALPHA * last.p99 + (1 - EWMA_ALPHA) * ewma
        if (![last.p50, last.p99, stats[i].p99, stats[i].p50].every(Number.isFinite)) continue
        rows.push({
          source: 'devnet', config, protocol, n: nodes, batchSize, txBytes: TX_BYTES, rateTxS: rate, latencyScale: 0, spikeChance: 0, spikeMeanMs: 0, loss: 0, adversary: 'none', seed: 0, interval: i,
          rttP50Ms: rtt.p50, rttP90Ms: rtt.p90, lastP50Ms: last.p50, lastP99Ms: last.p99, ewmaP99Ms: Math.round(ewma * 10) / 10, lastCount: last.count,
          nextP50Ms: stats[i].p50, nextP99Ms: stats[i].p99, nextCount: stats[i].count
        })
      }
      say(`intervals p99 ${stats.map(s => s.p99).join(', ')} ms`)
    } finally {
      await devnetDown(dir)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
mkdirSync(values.out, { recursive: true })
writeFileSync(join(values.out, values.file), rows.map(r => JSON.stringify(r)).join('\n') + '\n')
process.stdout.write(JSON.stringify({ out: join(values.out, values.file), rows: rows.length, machine: 'this 2-core machine, loopback' }) + '\n')
