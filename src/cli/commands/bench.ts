import { writeFileSync } from 'node:fs'
import { Option } from 'commander'
import type { Register } from '../main.ts'
import { PROTOCOLS, parseParams, type ProtocolName } from '../../config/genesis.ts'
import { failure, usageError } from '../../config/errors.ts'
import { isInteractive } from '../context.ts'
import type { BenchResult } from '../bench/devnet-bench.ts'

const AVAILABLE: ProtocolName[] = ['pbft']

const number = (name: string, min: number, max: number) => (raw: string): number => {
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || n > max) throw usageError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  return n
}

function table (results: BenchResult[]): string {
  const head = 'protocol   nodes  tx size  duration  committed      tps   p50 ms   p90 ms   p99 ms  cpu% per node'
  const rows = results.map(r => [
    r.protocol.padEnd(9), String(r.nodes).padStart(6), String(r.txSize).padStart(8), `${r.durationS}s`.padStart(9),
    String(r.committedTx).padStart(10), String(r.tps).padStart(8),
    ...[r.latencyMs.p50, r.latencyMs.p90, r.latencyMs.p99].map(v => (v == null ? '-' : v.toFixed(1)).padStart(8)),
    '  ' + r.perNode.map(p => p.cpuPct.toFixed(0)).join('/')
  ].join(' '))
  return [head, ...rows].join('\n')
}

export const registerBench: Register = (program, context) => {
  program.command('bench')
    .description('benchmark a protocol on a fresh devnet of real processes: tps applied on every node, end-to-end latency')
    .addOption(new Option('--protocol <name>', 'protocol, or all').choices([...PROTOCOLS, 'all']).default('pbft'))
    .option('--nodes <n>', 'validators', number('--nodes', 1, 64), 4)
    .option('--duration <s>', 'seconds of load', number('--duration', 1, 3600), 10)
    .option('--tx-size <bytes>', 'transaction size', number('--tx-size', 64, 60_000), 512)
    .option('--rate <tx/s>', 'offered load (open loop); default: as fast as acknowledged (closed loop)', number('--rate', 1, 10_000_000))
    .option('--batch <n>', 'transactions per client request', number('--batch', 1, 10_000), 200)
    .option('--inflight <n>', 'requests in flight per node (closed loop)', number('--inflight', 1, 1000), 4)
    .option('--param <key=value>', 'consensus parameter in the genesis (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--max-p99 <ms>', 'search for the highest rate whose p99 stays under this (not available in this version)')
    .option('--sim', 'run the deterministic simulator in process instead of a devnet (not available in this version)')
    .option('--out <file>', 'also write the JSON result to this file')
    .addHelpText('after', `
Example:
  $ novacron bench --protocol pbft --nodes 4 --duration 10
  $ novacron bench --rate 5000 --json --out pbft.json`)
    .action(async (opts: { protocol: ProtocolName | 'all', nodes: number, duration: number, txSize: number, rate?: number, batch: number, inflight: number, param?: string[], maxP99?: string, sim?: boolean, out?: string }) => {
      const ctx = context()
      if (opts.sim === true) throw failure('`novacron bench --sim` is not available in this version; run the simulator suite with `npm run test:sim`')
      if (opts.maxP99 != null) throw failure('`novacron bench --max-p99` is not available in this version')
      const protocols = opts.protocol === 'all' ? AVAILABLE : [opts.protocol]
      for (const p of protocols) if (!AVAILABLE.includes(p)) throw failure(`protocol ${p} is not available in this version (available: ${AVAILABLE.join(', ')})`)
      const interactive = isInteractive(ctx.flags, process.stderr)
      const { runDevnetBench } = await import('../bench/devnet-bench.ts')
      const results: BenchResult[] = []
      for (const protocol of protocols) {
        results.push(await runDevnetBench({
          protocol, nodes: opts.nodes, durationS: opts.duration, txSize: opts.txSize, rate: opts.rate ?? null, batch: opts.batch,
          inflightPerNode: opts.inflight, params: parseParams(opts.param ?? []),
          progress: line => { if (interactive) process.stderr.write(line + '\n') }
        }))
      }
      const out = results.length === 1 ? results[0] : results
      if (opts.out != null) writeFileSync(opts.out, JSON.stringify(out, null, 2) + '\n')
      ctx.print(out, () => table(results))
    })
}
