import { existsSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import type { Register } from '../main.ts'
import { AdminClient } from '../../api/client.ts'
import { describeError, usageError } from '../../config/errors.ts'
import { DATA_FILES, readRuntime, readToken } from '../../node/data-dir.ts'
import { isInteractive, type CliContext } from '../context.ts'
import { DEVNET_FILE, readDevnet, type DevnetNode } from '../devnet.ts'
import type { HealthJson, PeerJson, StatusJson } from '../../api/types.ts'

export function renderStatus (s: StatusJson): string {
  const connected = s.peers.filter(p => p.connected).length
  const lines = [
    `${s.cluster}  ${s.protocol}  n=${s.n} f=${s.f}  ${s.role}  up ${s.uptimeS}s`,
    `node    ${s.nodeId}`,
    `height  ${s.height}${s.view != null ? `  view ${s.view}` : ''}${s.leader != null ? `  leader ${s.leader.slice(-8)}` : ''}  committed ${s.committedTx} tx  tps(1m) ${s.tps1m}`,
    ...extraLines(s),
    `health  ${s.health.status}   peers ${connected}/${s.peers.length} connected`,
    ...(s.models != null && s.models.length > 0 ? [`models  ${s.models.map(m => `${m.model}: ${m.inCharge === 'model' ? 'model' : `baseline (${m.baseline})`}`).join('  ')}`] : []),
    ...(s.consensusTimeout != null ? [`timeout ${s.consensusTimeout.timeoutMs} ms set by ${s.consensusTimeout.setBy === 'baseline' ? `baseline (${s.consensusTimeout.baseline})` : s.consensusTimeout.setBy}  (bounds ${s.consensusTimeout.floorMs}..${s.consensusTimeout.maxMs} ms, genesis ${s.consensusTimeout.genesisMs} ms)`] : []),
    renderPeers(s.peers)
  ]
  return lines.join('\n')
}

/** The protocol's own figures (ProtocolStatus.extra): T-PBFT's epoch, group and trust lines; any other
 *  protocol's (ProBFT's q and sample size) on one line as they are. */
function extraLines (s: StatusJson): string[] {
  const c = s.protocolExtra
  if (c == null) return []
  if (c.epoch == null) return [`${s.protocol.padEnd(7)} ${Object.entries(c).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`).join('  ')}`]
  const short = (id: unknown): string => String(id).slice(-8)
  const ids = (v: unknown): string => Array.isArray(v) ? v.map(short).join(',') : '-'
  const group = Array.isArray(c.group) ? c.group.map(id => id === c.acting ? `*${short(id)}` : short(id)).join(',') : '-'
  return [
    `epoch   ${String(c.epoch)}  group ${group} (t=${String(c.threshold)})  inner failovers ${String(c.innerFailovers)}  outer view changes ${String(c.outerViewChanges)}`,
    `trust   top ${ids(c.rankingTop)}  bottom ${ids(c.rankingBottom)}`
  ]
}

export function renderPeers (peers: PeerJson[]): string {
  const rows = peers.map(p => `  ${p.id}  ${p.connected ? 'connected   ' : 'disconnected'}  ${p.validator ? 'validator' : 'observer '}  ${p.latencyMs == null ? '   -  ' : `${p.latencyMs.toFixed(0).padStart(4)}ms`}  ${String(p.msgsPerS).padStart(6)} msg/s  ${p.addr ?? ''}`)
  return rows.length > 0 ? rows.join('\n') : '  (no peers)'
}

export function renderHealth (h: HealthJson): string {
  return [`health ${h.status}`, ...h.components.map(c => `  ${c.name.padEnd(10)} ${c.status}${c.circuit != null ? `  circuit ${c.circuit}` : ''}${c.restarts > 0 ? `  restarts ${c.restarts}` : ''}`)].join('\n')
}

/** One node `status` can show; the TUI cycles through several (tab). */
export interface StatusTarget { label: string, url: string, status: () => Promise<StatusJson> }

const POLL_TIMEOUT_MS = 2500

/** Every value of the global --node flag: commander keeps only the last, status cycles through all. */
export function nodeUrls (rawArgs: readonly string[]): string[] {
  const urls: string[] = []
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]
    if (a === '--') break
    if (a === '--node' && i + 1 < rawArgs.length) urls.push(rawArgs[++i])
    else if (a.startsWith('--node=')) urls.push(a.slice('--node='.length))
  }
  return [...new Set(urls.map(u => u.replace(/\/+$/, '')))]
}

/** The nodes of the devnet whose dir, or one of whose node dirs, is `dataDir`; this node first. */
export function devnetTargets (dataDir: string): StatusTarget[] | null {
  const dir = resolve(dataDir)
  let root: string
  if (existsSync(join(dir, DEVNET_FILE))) root = dir
  else if (existsSync(join(dirname(dir), DEVNET_FILE))) root = dirname(dir)
  else return null
  let nodes: DevnetNode[]
  try { nodes = readDevnet(root).nodes } catch { return null }
  const first = Math.max(0, nodes.findIndex(n => resolve(n.dataDir) === dir))
  if (root !== dir && !nodes.some(n => resolve(n.dataDir) === dir)) return null
  return [...nodes.slice(first), ...nodes.slice(0, first)].map(n => ({
    label: basename(n.dataDir),
    get url () { return readRuntime(n.dataDir)?.admin ?? n.admin },
    // A restarted node has a new admin port: read it from its data dir on every poll.
    status: () => new AdminClient({ url: readRuntime(n.dataDir)?.admin ?? n.admin, token: tokenOf(join(n.dataDir, DATA_FILES.token)), timeoutMs: POLL_TIMEOUT_MS }).status()
  }))
}

function tokenOf (file: string): string | null {
  try { return readToken(file) } catch { return null }
}

/** The nodes to show: each --node URL given, else the devnet of --data-dir, else the one node of the context. */
export function statusTargets (ctx: CliContext, rawArgs: readonly string[]): StatusTarget[] {
  const s = ctx.settings()
  const urls = nodeUrls(rawArgs)
  if (urls.length > 1) {
    for (const u of urls) { try { new URL(u) } catch { throw usageError(`--node: expected a URL like http://127.0.0.1:7401, got ${JSON.stringify(u)}`) } }
    const token = tokenOf(s.tokenFile ?? join(s.dataDir, DATA_FILES.token))
    return urls.map(url => {
      const client = new AdminClient({ url, token, timeoutMs: POLL_TIMEOUT_MS })
      return { label: new URL(url).host, url, status: () => client.status() }
    })
  }
  if (s.node == null) {
    const devnet = devnetTargets(s.dataDir)
    if (devnet != null && devnet.length > 0) return devnet
  }
  const client = ctx.client()
  return [{ label: s.node == null ? basename(s.dataDir) : new URL(client.url).host, url: client.url, status: () => client.status() }]
}

export const registerStatus: Register = (program, context) => {
  program.command('status')
    .description('show the node\'s cluster, consensus and peer status (a live TUI on a terminal)')
    .option('--watch', 'keep refreshing: one JSON line per second with --json or without a TTY')
    .addHelpText('after', `
On a terminal this is a live view refreshed every second (keys: q quit, tab next node, p pause, ? help).
It cycles through every node of a devnet (--data-dir of the devnet or of one of its nodes), or through
each --node URL when --node is given more than once.

Example:
  $ novacron status --data-dir .devnet/node-0
  $ novacron status --node http://127.0.0.1:7401 --node http://127.0.0.1:7403
  $ novacron status --json
  $ novacron status --watch --json | jq .height`)
    .action(async (opts: { watch?: boolean }, cmd: Command) => {
      const ctx = context()
      const rawArgs = (cmd.parent as Command & { rawArgs?: string[] } | null)?.rawArgs ?? process.argv
      const targets = statusTargets(ctx, rawArgs)
      if (isInteractive(ctx.flags)) {
        const { runStatusTui } = await import('../../tui/app.ts')
        await runStatusTui(targets)
        // Idle keep-alive sockets to the nodes would hold the process for seconds after the user quit.
        setImmediate(() => process.exit())
        return
      }
      const target = targets[0]
      if (opts.watch !== true) {
        ctx.print(await target.status(), renderStatus)
        return
      }
      // One JSON line per second; a node that does not answer is reported on stderr and retried.
      const stop = new AbortController()
      const onSignal = (): void => stop.abort()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      let failing = false
      while (!stop.signal.aborted) {
        try {
          const s = await target.status()
          process.stdout.write(JSON.stringify(s) + '\n')
          if (failing) process.stderr.write(`novacron: ${target.url} answers again\n`)
          failing = false
        } catch (err) {
          if (!failing) process.stderr.write(`novacron: ${describeError(err)} (retrying every second)\n`)
          failing = true
        }
        await new Promise(resolve => { const t = setTimeout(resolve, 1000); stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(undefined) }, { once: true }) })
      }
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    })

}

export const registerPeers: Register = (program, context) => {
  program.command('peers')
    .description('list the peers this node knows: validators of the genesis and connected observers')
    .addHelpText('after', '\nExample:\n  $ novacron peers --json | jq \'.[] | select(.connected)\'\n  $ novacron peers --output table')
    .action(async () => {
      const ctx = context()
      ctx.print(await ctx.client().peers(), renderPeers, (peers: PeerJson[]) => peers.map(p => ({ id: p.id, addr: p.addr, connected: p.connected, validator: p.validator, latencyMs: p.latencyMs == null ? null : Math.round(p.latencyMs), msgsPerS: p.msgsPerS, tier: p.tier, reliability: p.reliability, circuit: p.circuit })))
    })

}

export const registerHealth: Register = (program, context) => {
  program.command('health')
    .description('show the health of the node\'s components (exit 1 when down)')
    .addHelpText('after', '\nExample:\n  $ novacron health --json')
    .action(async () => {
      const ctx = context()
      const health = await ctx.client().health()
      ctx.print(health, renderHealth)
      if (health.status === 'down') process.exitCode = 1
    })
}
