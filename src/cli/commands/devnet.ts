import { Option } from 'commander'
import type { Register } from '../main.ts'
import { PLACEMENT_POLICIES, type PlacementPolicyName } from '../../alloc/policies.ts'
import { AVAILABLE_PROTOCOLS, KNOWN_PROTOCOLS, genesisParams } from '../../node/protocols.ts'
import { usageError } from '../../config/errors.ts'
import { defaultDataDir } from '../../config/settings.ts'
import type { DevnetNodeStatus } from '../devnet.ts'
import { isInteractive } from '../context.ts'
import { withProgress } from '../progress.ts'
import { devnetTargets } from './status.ts'
import { ExitCode } from '../exit-codes.ts'

const positiveInt = (name: string, max: number) => (raw: string): number => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) throw usageError(`${name} must be an integer from 1 to ${max}, got ${JSON.stringify(raw)}`)
  return n
}

export const registerDevnet: Register = (program, context) => {
  const devnet = program.command('devnet').description('run a local cluster of real node processes on loopback')
  const defaultDir = (): string => defaultDataDir('devnet')

  devnet.command('up')
    .description('create keys and a genesis, start N nodes in the background and wait for a full mesh')
    .option('--nodes <n>', 'number of validators', positiveInt('--nodes', 64), 4)
    .addOption(new Option('--protocol <name>', 'consensus protocol').choices(KNOWN_PROTOCOLS).default(AVAILABLE_PROTOCOLS[0]))
    .option('--dir <dir>', 'devnet directory (default: $XDG_DATA_HOME/novacron/devnet)')
    .option('--base-port <port>', 'first port (node i listens on base+2i, admin on base+2i+1; default: ports from the OS)', positiveInt('--base-port', 65000))
    .option('--param <key=value>', 'consensus parameter in the genesis (repeatable), e.g. checkpointInterval=8', (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option('--placement <policy>', 'workload placement policy in the genesis (default best-fit)').choices([...PLACEMENT_POLICIES]))
    .option('--byzantine <k:mode>', "test builds: the last K nodes run the simulator's Byzantine behaviour MODE (K at most f), e.g. 1:equivocate")
    .option('--watch', 'stay in the foreground showing live status; Ctrl-C stops the devnet')
    .addHelpText('after', `
Example:
  $ novacron devnet up --nodes 4 --protocol pbft
  $ novacron devnet up --nodes 7 --dir /tmp/dn --json`)
    .action(async (opts: { nodes: number, protocol: string, dir?: string, basePort?: number, param?: string[], byzantine?: string, watch?: boolean, placement?: PlacementPolicyName }) => {
      const ctx = context()
      let byzantine: { count: number, mode: string } | undefined
      if (opts.byzantine != null) {
        const m = /^(\d+):([a-z-]+)$/.exec(opts.byzantine)
        if (m == null || Number(m[1]) < 1 || Number(m[1]) > Math.floor((opts.nodes - 1) / 3)) throw usageError(`--byzantine must be K:MODE with K from 1 to f = ${Math.floor((opts.nodes - 1) / 3)}, got ${JSON.stringify(opts.byzantine)}`)
        byzantine = { count: Number(m[1]), mode: m[2] }
      }
      const dir = opts.dir ?? defaultDir()
      const logger = await ctx.logger()
      const interactive = isInteractive(ctx.flags, process.stderr)
      const { devnetUp } = await import('../devnet.ts')
      const result = await devnetUp({ dir, nodes: opts.nodes, protocol: opts.protocol, basePort: opts.basePort, params: genesisParams(opts.protocol, opts.param ?? []), logLevel: ctx.settings().logLevel, placement: opts.placement, byzantine }, {
        progress: msg => { if (interactive) process.stderr.write(`${msg}\n`); else logger.info(msg) }
      })
      ctx.print({ dir: result.dir, nodes: result.nodes }, r => `devnet of ${r.nodes.length} nodes up in ${result.meshMs} ms (${dir})\n` +
        r.nodes.map((n: { id: string, admin: string, pid: number }) => `  ${n.id}  admin ${n.admin}  pid ${n.pid}`).join('\n') +
        `\nstop it with: novacron devnet down --dir ${dir}`)
      if (opts.watch !== true) return
      await watchUntilInterrupted(dir, ctx.json || !isInteractive(ctx.flags))
      await (await import('../devnet.ts')).devnetDown(dir)
      process.exitCode = ExitCode.interrupted
    })

  devnet.command('down')
    .description('stop every node of the devnet, restarted ones too (SIGTERM, then SIGKILL after 10 s)')
    .option('--dir <dir>', 'devnet directory')
    .addHelpText('after', '\nExample:\n  $ novacron devnet down --dir /tmp/dn')
    .action(async (opts: { dir?: string }) => {
      const ctx = context()
      const dir = opts.dir ?? defaultDir()
      const { devnetDown } = await import('../devnet.ts')
      const stopped = await withProgress(ctx, `stopping the devnet in ${dir}`, async () => await devnetDown(dir))
      ctx.print({ dir, stopped }, r => `stopped ${r.stopped.length} node(s) of ${dir}`)
    })

  for (const [action, what] of [['stop', 'stop one node (every process of it, a node restarted by hand too)'], ['start', 'start one stopped node again from its data dir (same key, genesis and addresses)'], ['restart', 'stop one node, then start it again from its data dir']] as const) {
    devnet.command(action)
      .description(what)
      .argument('<node>', 'index (0), name (node-0) or peer id')
      .option('--dir <dir>', 'devnet directory')
      .addHelpText('after', `\nExample:\n  $ novacron devnet ${action} node-2 --dir /tmp/dn\n  $ novacron devnet ${action} 2 --json`)
      .action(async (name: string, opts: { dir?: string }) => {
        const ctx = context()
        const dir = opts.dir ?? defaultDir()
        const { devnetNode } = await import('../devnet.ts')
        const r = await withProgress(ctx, `${action === 'stop' ? 'stopping' : action === 'start' ? 'starting' : 'restarting'} ${name}`, async () => await devnetNode(dir, name, action, ctx.settings().logLevel))
        ctx.print(r, x => action === 'stop'
          ? `${x.name}: ${x.stopped.length > 0 ? `stopped (pid ${x.stopped.join(', ')})` : 'was not running'}`
          : `${x.name}: ${action === 'restart' && x.stopped.length > 0 ? `stopped pid ${x.stopped.join(', ')}, ` : ''}running as pid ${x.pid}, admin ${x.admin}`)
      })
  }

  devnet.command('status')
    .description('show each devnet node: process, height and connected peers')
    .option('--dir <dir>', 'devnet directory')
    .addHelpText('after', '\nExample:\n  $ novacron devnet status --json')
    .action(async (opts: { dir?: string }) => {
      const ctx = context()
      const dir = opts.dir ?? defaultDir()
      const nodes = await (await import('../devnet.ts')).devnetStatus(dir)
      ctx.print({ dir, nodes }, r => r.nodes.map((n: DevnetNodeStatus) =>
        `${n.id}  ${n.alive ? 'running' : 'stopped'}  pid ${n.pid}  height ${n.height ?? '-'}  peers ${n.peersConnected ?? '-'}  ${n.admin}`).join('\n'),
      r => r.nodes.map((n: DevnetNodeStatus) => ({ id: n.id, alive: n.alive, pid: n.pid, height: n.height, peers: n.peersConnected, admin: n.admin, dataDir: n.dataDir })))
    })
}

// A person gets the status TUI over every node (q or Ctrl-C ends it); a script gets a JSON line a second
// until SIGINT or SIGTERM. Either way the devnet is taken down afterwards.
async function watchUntilInterrupted (dir: string, plain: boolean): Promise<void> {
  if (!plain) {
    const targets = devnetTargets(dir)
    if (targets != null) {
      const { runStatusTui } = await import('../../tui/app.ts')
      await runStatusTui(targets)
      return
    }
  }
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  while (!stop.signal.aborted) {
    const nodes = await (await import('../devnet.ts')).devnetStatus(dir)
    process.stdout.write(JSON.stringify({ at: new Date().toISOString(), nodes: nodes.map(({ status: _s, ...n }) => n) }) + '\n')
    await new Promise(resolve => { const t = setTimeout(resolve, 1000); stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(undefined) }, { once: true }) })
  }
}
