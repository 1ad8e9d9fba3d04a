import type { Register } from '../main.ts'
import type { HealthJson, PeerJson, StatusJson } from '../../api/types.ts'

export function renderStatus (s: StatusJson): string {
  const connected = s.peers.filter(p => p.connected).length
  const lines = [
    `${s.cluster}  ${s.protocol}  n=${s.n} f=${s.f}  ${s.role}  up ${s.uptimeS}s`,
    `node    ${s.nodeId}`,
    `height  ${s.height}${s.view != null ? `  view ${s.view}` : ''}${s.leader != null ? `  leader ${s.leader.slice(-8)}` : ''}  committed ${s.committedTx} tx  tps(1m) ${s.tps1m}`,
    `health  ${s.health.status}   peers ${connected}/${s.peers.length} connected`,
    renderPeers(s.peers)
  ]
  return lines.join('\n')
}

export function renderPeers (peers: PeerJson[]): string {
  const rows = peers.map(p => `  ${p.id}  ${p.connected ? 'connected   ' : 'disconnected'}  ${p.validator ? 'validator' : 'observer '}  ${p.latencyMs == null ? '   -  ' : `${p.latencyMs.toFixed(0).padStart(4)}ms`}  ${String(p.msgsPerS).padStart(6)} msg/s  ${p.addr ?? ''}`)
  return rows.length > 0 ? rows.join('\n') : '  (no peers)'
}

export function renderHealth (h: HealthJson): string {
  return [`health ${h.status}`, ...h.components.map(c => `  ${c.name.padEnd(10)} ${c.status}${c.circuit != null ? `  circuit ${c.circuit}` : ''}${c.restarts > 0 ? `  restarts ${c.restarts}` : ''}`)].join('\n')
}

export const registerStatus: Register = (program, context) => {
  program.command('status')
    .description('show the node\'s cluster, consensus and peer status')
    .option('--watch', 'keep refreshing: one JSON line per second with --json or without a TTY')
    .addHelpText('after', `
Example:
  $ novacron status --json
  $ novacron status --watch --json | jq .height`)
    .action(async (opts: { watch?: boolean }) => {
      const ctx = context()
      const client = ctx.client()
      if (opts.watch !== true) {
        ctx.print(await client.status(), renderStatus)
        return
      }
      const stop = new AbortController()
      process.once('SIGINT', () => stop.abort())
      while (!stop.signal.aborted) {
        const s = await client.status()
        if (ctx.json || process.stdout.isTTY !== true) process.stdout.write(JSON.stringify(s) + '\n')
        else process.stdout.write('\x1b[2J\x1b[H' + renderStatus(s) + '\n')
        await new Promise(resolve => setTimeout(resolve, 1000))
      }
    })

  program.command('peers')
    .description('list the peers this node knows: validators of the genesis and connected observers')
    .addHelpText('after', '\nExample:\n  $ novacron peers --json | jq \'.[] | select(.connected)\'')
    .action(async () => {
      const ctx = context()
      ctx.print(await ctx.client().peers(), renderPeers)
    })

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
