// `novacron workload`: submit, list, show and stop workloads. Submit and stop go through consensus (like
// `kv put`); where a workload runs is decided by the cluster's placement policy (genesis `placement`).
import type { Register } from '../main.ts'
import { NovacronError, failure, usageError } from '../../config/errors.ts'
import { seconds, submit, type WaitOpts } from './kv.ts'
import type { WorkloadJson } from '../../node/workload-routes.ts'

const STATES = ['pending', 'placed', 'running', 'completed', 'failed', 'cancelled', 'stopped']

const count = (flag: string, min: number) => (raw: string): number => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > 0xffff_ffff) throw usageError(`${flag} must be an integer from ${min} to 4294967295, got ${JSON.stringify(raw)}`)
  return n
}

const short = (id: string | null): string => id == null ? '-' : id.slice(-8)

function line (w: WorkloadJson): string {
  return `${w.id.slice(0, 12)}  ${w.state.padEnd(9)} ${short(w.host).padEnd(8)}  ${String(w.cpu).padStart(3)} vCPU ${String(w.memMiB).padStart(7)} MiB ${String(w.diskGiB).padStart(4)} GiB  ${w.name}`
}

function details (w: WorkloadJson): string {
  const rows: Array<[string, string]> = [
    ['id', w.id], ['name', w.name === '' ? '-' : w.name], ['state', w.state + (w.reason !== '' ? ` (${w.reason})` : '')],
    ['host', w.host ?? '-'], ['resources', `${w.cpu} vCPU, ${w.memMiB} MiB, ${w.diskGiB} GiB`],
    ['duration', w.durationS > 0 ? `${w.durationS} s` : 'until stopped'], ['placements', String(w.placements)],
    ['submitted', `height ${w.submittedHeight} ${w.submittedAt ?? ''}`],
    ['placed', w.placedHeight == null ? '-' : `height ${w.placedHeight} ${w.placedAt ?? ''}`],
    ['started', w.startedHeight == null ? '-' : `height ${w.startedHeight} ${w.startedAt ?? ''}`],
    ['ended', w.endedHeight == null ? '-' : `height ${w.endedHeight} ${w.endedAt ?? ''}`]
  ]
  return rows.map(([k, v]) => `${k.padEnd(11)}${v.trimEnd()}`).join('\n')
}

/** A missing workload is exit 1 (as `kv get` of a missing key), not a usage error. */
async function orNotFound<T> (run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof NovacronError && /no workload /.test(err.message)) throw failure(err.message)
    throw err
  }
}

export const registerWorkload: Register = (program, context) => {
  const workload = program.command('workload').description('submit, list, show and stop workloads; the cluster places them on hosts')

  workload.command('submit')
    .description('submit a workload through consensus; prints its id (the placement follows from the cluster policy)')
    .requiredOption('--cpu <n>', 'vCPUs', count('--cpu', 0))
    .requiredOption('--mem <MiB>', 'memory in MiB', count('--mem', 0))
    .option('--disk <GiB>', 'disk in GiB', count('--disk', 0), 0)
    .option('--name <name>', 'a name for people', '')
    .option('--duration <s>', 'seconds it runs once started (default: until stopped)', count('--duration', 1))
    .option('--no-wait', 'return once the node accepted it, without waiting for the commit')
    .option('--timeout <s>', 'seconds to wait for the commit (exit 5 when it does not come)', seconds, 10)
    .addHelpText('after', '\nExample:\n  $ novacron workload submit --cpu 2 --mem 4096 --disk 20 --name web\n  $ novacron workload submit --cpu 1 --mem 512 --duration 600 --json')
    .action(async (opts: WaitOpts & { cpu: number, mem: number, disk: number, name: string, duration?: number }) => {
      const ctx = context()
      if (opts.cpu === 0 && opts.mem === 0) throw usageError('a workload needs --cpu or --mem above 0')
      const r = await submit(ctx, '/v1/workloads', { name: opts.name, cpu: opts.cpu, memMiB: opts.mem, diskGiB: opts.disk, durationS: opts.duration }, opts)
      ctx.print(r, x => x.submitted === true ? `submitted workload ${x.id}` : `workload ${x.id} ${x.state} at height ${x.height}`)
    })

  workload.command('list')
    .description("list workloads from this node's committed state")
    .option('--host <peer>', 'only those on this host (peer id, or its last characters)')
    .option('--state <state>', `only those in this state (${STATES.join(', ')})`)
    .addHelpText('after', '\nExample:\n  $ novacron workload list --state running\n  $ novacron workload list --host 7xKq2 --json')
    .action(async (opts: { host?: string, state?: string }) => {
      const ctx = context()
      if (opts.state != null && !STATES.includes(opts.state)) throw usageError(`--state must be one of ${STATES.join(', ')}, got ${JSON.stringify(opts.state)}`)
      const q = new URLSearchParams({ ...(opts.host != null ? { host: opts.host } : {}), ...(opts.state != null ? { state: opts.state } : {}) })
      const r = await ctx.client().request<{ workloads: WorkloadJson[], height: number }>('GET', `/v1/workloads?${q.toString()}`)
      ctx.print(r, x => x.workloads.length === 0 ? `(no workloads, height ${x.height})` : x.workloads.map(line).join('\n'))
    })

  workload.command('show')
    .description('one workload: state, host, resources and its heights and times (exit 1 when there is none)')
    .argument('<id>')
    .addHelpText('after', '\nExample:\n  $ novacron workload show 3f2a9c0d41b7e6a85c1d0f2e9b7a6c54 --json')
    .action(async (id: string) => {
      const ctx = context()
      const r = await orNotFound(async () => await ctx.client().request<WorkloadJson>('GET', `/v1/workload?id=${encodeURIComponent(id)}`))
      ctx.print(r, details)
    })

  workload.command('stop')
    .description('stop a workload through consensus; its host releases the resources')
    .argument('<id>')
    .option('--timeout <s>', 'seconds to wait for the commit', seconds, 10)
    .addHelpText('after', '\nExample:\n  $ novacron workload stop 3f2a9c0d41b7e6a85c1d0f2e9b7a6c54')
    .action(async (id: string, opts: { timeout: number }) => {
      const ctx = context()
      const r = await orNotFound(async () => await submit(ctx, '/v1/workload/stop', { id }, { wait: true, timeout: opts.timeout }))
      ctx.print(r, x => `workload ${x.id} stopped at height ${x.height}`)
    })
}
