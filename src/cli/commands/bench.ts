import { Option } from 'commander'
import type { Register } from '../main.ts'
import { AVAILABLE_PROTOCOLS, KNOWN_PROTOCOLS, genesisParams } from '../../node/protocols.ts'
import { failure, usageError } from '../../config/errors.ts'
import { isInteractive } from '../context.ts'
import type { BenchResult } from '../bench/devnet-bench.ts'

const number = (name: string, min: number, max: number) => (raw: string): number => {
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || n > max) throw usageError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  return n
}

const ms = (v: number | null): string => (v == null ? '-' : v.toFixed(1)).padStart(8)

export function benchTable (results: readonly BenchResult[]): string {
  const head = 'protocol   mode    nodes  tx size  duration  offered/s  committed      tps   p50 ms   p90 ms   p99 ms  cpu% per node  rss MiB'
  const rows = results.map(r => [
    r.protocol.padEnd(9), r.mode.padEnd(6), String(r.nodes).padStart(6), String(r.txSize).padStart(8), `${r.durationS}s`.padStart(9),
    (r.offeredRate == null ? 'closed' : String(r.offeredRate)).padStart(10),
    String(r.committedTx).padStart(10), String(r.tps).padStart(8),
    ms(r.latencyMs.p50), ms(r.latencyMs.p90), ms(r.latencyMs.p99),
    '  ' + r.perNode.map(p => p.cpuPct.toFixed(0)).join('/').padEnd(13), r.perNode.map(p => p.rssMiB.toFixed(0)).join('/')
  ].join(' '))
  const lines = [head, ...rows]
  for (const r of results) {
    if (r.search != null) {
      lines.push('', `${r.protocol}: search for the highest rate with p99 <= ${r.maxP99Ms} ms`, '  offered/s      tps   p50 ms   p99 ms  within cap')
      for (const s of r.search) lines.push(`  ${String(s.offeredRate).padStart(9)} ${String(s.tps).padStart(8)} ${ms(s.p50)} ${ms(s.p99)}  ${s.withinCap ? 'yes' : 'no'}`)
    }
    if (r.note != null) lines.push(`${r.protocol}: ${r.note}`)
    const f = r.failures
    if (f != null && (f.requests > 0 || f.txs > 0)) lines.push(`${r.protocol}: WARNING ${f.requests} requests failed or were refused, ${f.txs} transactions committed with an error: ${f.firstErrors.join('; ')}`)
    if (r.achievedOfferedRate != null) lines.push(`${r.protocol}: offered ${r.offeredRate} tx/s, the client kept ${r.achievedOfferedRate} tx/s; latency runs from each request's intended send time`)
    if (r.etcd != null) lines.push(`${r.protocol}: etcd ${r.etcd.version}, ${r.etcd.members} members, ${r.etcd.clients} clients, same run: ${r.etcd.writesPerS} writes/s, p50 ${r.etcd.latencyMs.p50 ?? '-'} ms; ratio ${r.ratioToEtcd ?? '-'}`)
    if (r.network != null) lines.push(`${r.protocol}: ${r.network.bytesOut} bytes sent over ${r.network.decisions} decisions: ${r.network.bytesPerDecision ?? '-'} bytes per decision`)
    if (r.client != null && r.loadavg != null) lines.push(`${r.protocol}: client CPU ${r.client.cpuPct}%, load average ${r.loadavg.before} -> ${r.loadavg.after}; ack = ${r.ack ?? 'one replica'}`)
  }
  return lines.join('\n')
}

/** A one-line progress bar on stderr (a terminal only), redrawn in place. */
function progressBar (enabled: boolean): { update: (label: string, fraction: number, line: string) => void, done: () => void } {
  let drawn = false
  return {
    update (label, fraction, line) {
      if (!enabled) return
      const width = 30
      const filled = Math.max(0, Math.min(width, Math.round(fraction * width)))
      const cols = process.stderr.columns ?? 100
      const text = `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%  ${line}`
      process.stderr.write('\r\x1b[2K' + text.slice(0, cols - 1))
      drawn = true
    },
    done () {
      if (enabled && drawn) process.stderr.write('\r\x1b[2K')
      drawn = false
    }
  }
}

export const registerBench: Register = (program, context) => {
  program.command('bench')
    .description('benchmark a protocol on a fresh devnet of real processes (or in the simulator): tps applied on every node, end-to-end latency, CPU and memory per node')
    .addOption(new Option('--protocol <name>', 'protocol, or all (every available protocol in turn)').choices([...KNOWN_PROTOCOLS, 'all']).default(AVAILABLE_PROTOCOLS[0]))
    .option('--nodes <n>', 'validators', number('--nodes', 1, 64), 4)
    .option('--duration <s>', 'seconds of load (per step with --max-p99)', number('--duration', 1, 3600))
    .option('--tx-size <bytes>', 'transaction size', number('--tx-size', 64, 60_000), 512)
    .option('--rate <tx/s>', 'offered load (open loop); default: as fast as acknowledged (closed loop); with --max-p99 the first rate tried', number('--rate', 1, 10_000_000))
    .option('--batch <n>', 'transactions per client request', number('--batch', 1, 10_000), 200)
    .option('--inflight <n>', 'requests in flight per node (closed loop)', number('--inflight', 1, 1000), 4)
    .option('--ack-quorum', 'count a request acknowledged only when f+1 replicas report the same commit of it (height and state root), as a BFT client must; default: the one node it went to')
    .option('--param <key=value>', 'consensus parameter in the genesis (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--max-p99 <ms>', 'search for the highest rate whose p99 latency stays under this many ms (short open-loop steps, each reported)', number('--max-p99', 1, 600_000))
    .option('--etcd', 'also run 3 etcd members on loopback (when `etcd` is installed) under the same load and report tps as a ratio to its writes/s')
    .option('--etcd-clients <n>', 'concurrent etcd clients (--etcd)', number('--etcd-clients', 1, 4096), 256)
    .option('--sim', 'run the deterministic simulator in process (no faults) instead of a devnet; figures are in simulated time')
    .option('--seed <n>', 'simulator seed (--sim)', number('--seed', 0, 2 ** 31), 1)
    .option('--out <file>', 'also write the JSON result to FILE, and a CSV and an SVG plot of latency against rate beside it')
    .option('--placement', 'benchmark the placement policies in the placement simulator on a held-out trace window instead')
    .option('--fl', 'federated learning in the simulator instead: rounds, bytes and wall-clock to the target loss per client-selection policy')
    .option('--policy <name>', 'with --placement: a placement policy; with --fl: random, full, oort or tcs (comma-separated); or all', 'all')
    .addOption(new Option('--trace <name>', 'with --placement: the trace').choices(['azure', 'openb']).default('azure'))
    .option('--seeds <n>', 'with --placement: paired thinning seeds (2..30); with --fl: seeds 1..n', number('--seeds', 1, 100), 5)
    .option('--clients <n>', 'FL clients (--fl)', number('--clients', 2, 1000), 20)
    .option('--per-round <k>', 'FL clients per round (--fl)', number('--per-round', 1, 1000), 4)
    .option('--max-rounds <n>', 'FL round budget (--fl)', number('--max-rounds', 1, 10_000), 150)
    .option('--data <dir>', 'FL traces (--fl; default: ../shared/data/bandwidth)')
    .addHelpText('after', `
Without --duration a run lasts 10 s, and each step of a --max-p99 search 3 s.
--json prints the result (an array when several protocols ran); a progress bar and a table go to a terminal.

Example:
  $ novacron bench --protocol pbft --nodes 4 --duration 10
  $ novacron bench --rate 5000 --json --out pbft.json      # also pbft.csv and pbft.svg
  $ novacron bench --max-p99 200 --out search.json
  $ novacron bench --protocol pbft --duration 10 --etcd       # etcd side by side, as a ratio
  $ novacron bench --rate 2000 --ack-quorum                    # acknowledged by f+1 matching receipts
  $ novacron bench --sim --nodes 7 --rate 500
  $ novacron bench --placement --policy all --trace azure --json
  $ novacron bench --fl --clients 20 --policy all --seeds 5 --json --out fl.json`)
    .action(async (opts: { protocol: string, nodes: number, duration?: number, txSize: number, rate?: number, batch: number, inflight: number, ackQuorum?: boolean, param?: string[], maxP99?: number, etcd?: boolean, etcdClients: number, sim?: boolean, seed: number, out?: string, placement?: boolean, fl?: boolean, policy: string, trace: 'azure' | 'openb', seeds: number, clients: number, perRound: number, maxRounds: number, data?: string }) => {
      const ctx = context()
      if (opts.placement === true) {
        if (opts.seeds < 2) throw usageError('--seeds must be at least 2 with --placement (paired intervals need two seeds)')
        const { runPlacementCli } = await import('../bench/placement-bench.ts')
        await runPlacementCli(ctx, opts)
        return
      }
      if (opts.fl === true) { await (await import('../bench/fl-bench.ts')).flBenchCommand(ctx, opts); return }
      const available = AVAILABLE_PROTOCOLS
      const protocols = opts.protocol === 'all' ? [...available] : [opts.protocol]
      for (const p of protocols) if (!available.includes(p)) throw failure(`protocol ${p} is not available in this version (available: ${available.join(', ')})`)
      if (opts.sim === true && opts.maxP99 != null) throw usageError('--max-p99 needs per-transaction latency, which the simulator does not expose; drop --sim')
      const interactive = isInteractive(ctx.flags, process.stderr)
      const bar = progressBar(interactive)
      const results: BenchResult[] = []
      try {
        for (const protocol of protocols) {
          const label = `${protocol}${protocols.length > 1 ? ` (${results.length + 1}/${protocols.length})` : ''}`
          if (opts.sim === true) {
            bar.update(label, 0, 'simulating')
            const { runSimBench } = await import('../bench/sim-bench.ts')
            results.push(await runSimBench({ protocol, nodes: opts.nodes, durationS: opts.duration ?? 10, rate: opts.rate ?? null, seed: opts.seed }))
            continue
          }
          const bench = await import('../bench/devnet-bench.ts')
          const common = {
            protocol, nodes: opts.nodes, txSize: opts.txSize, batch: opts.batch, inflightPerNode: opts.inflight, ackQuorum: opts.ackQuorum === true, params: genesisParams(protocol, opts.param ?? []),
            progress: (line: string) => { if (interactive && line.startsWith('start')) bar.update(label, 0, line) },
            tick: (f: number, line: string) => bar.update(label, f, line)
          }
          results.push(opts.maxP99 != null
            ? await bench.runMaxP99Search({ ...common, durationS: opts.duration ?? 3, rate: null, maxP99Ms: opts.maxP99, startRate: opts.rate })
            : await bench.runDevnetBench({ ...common, durationS: opts.duration ?? 10, rate: opts.rate ?? null }))
        }
        if (opts.etcd === true && opts.sim !== true) {
          bar.update('etcd', 0, 'etcd, 3 members on loopback')
          const { runEtcdBench } = await import('../bench/etcd-bench.ts')
          const etcd = await runEtcdBench({ durationS: opts.duration ?? 10, valueBytes: Math.max(1, opts.txSize - 48), clients: opts.etcdClients })
          if (etcd == null) process.stderr.write('--etcd: no `etcd` on PATH (Debian: apt-get install etcd-server); skipped\n')
          else for (const r of results) { r.etcd = etcd; r.ratioToEtcd = etcd.writesPerS > 0 ? Math.round(r.tps / etcd.writesPerS * 100) / 100 : undefined }
        }
      } finally {
        bar.done()
      }
      const out = results.length === 1 ? results[0] : results
      if (opts.out != null) {
        const { writeOutputs } = await import('../bench/report.ts')
        const written = writeOutputs(opts.out, out, results)
        if (!ctx.json) process.stderr.write(`wrote ${written.json}, ${written.csv} and ${written.svg}\n`)
      }
      ctx.print(out, () => benchTable(results))
    })
}
