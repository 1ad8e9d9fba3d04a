import { Option } from 'commander'
import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'
import { readRuntime, DATA_FILES } from '../../node/data-dir.ts'
import { readGenesis } from '../../config/genesis.ts'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ExitCode } from '../exit-codes.ts'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export const registerNode: Register = (program, context) => {
  const node = program.command('node').description('run this host as a cluster node, or show its identity')

  node.command('start')
    .description('start the node in the foreground: libp2p mesh, consensus, admin API (stop with Ctrl-C or SIGTERM)')
    .option('--listen <multiaddr>', 'libp2p listen address (repeatable; default: the port genesis names for this node)', collect)
    .option('--bootstrap <multiaddr>', 'extra peer to dial, with /p2p/ID (repeatable)', collect)
    .option('--genesis <file>', 'genesis file; needed on first start only (it is kept in the data dir)')
    .option('--admin <host:port>', 'admin API address (default 127.0.0.1:7401; port 0 picks one)')
    .option('--metrics <host:port>', 'also serve /metrics without a token on this address')
    .option('--mdns', 'discover peers on the local network with mDNS')
    .option('--receive-dir <dir>', 'where files other nodes send land (default <data-dir>/received)')
    .addOption(new Option('--byzantine <mode>', "test builds only: run one of the simulator's Byzantine behaviours (refused by the single executable)").hideHelp())
    .addHelpText('after', `
Example:
  $ novacron node start --data-dir /var/lib/novacron --genesis genesis.json
  $ novacron node start --data-dir /var/lib/novacron          # later restarts`)
    .action(async (opts: { listen?: string[], bootstrap?: string[], genesis?: string, admin?: string, metrics?: string, mdns?: boolean, receiveDir?: string, byzantine?: string }) => {
      const ctx = context()
      // A production build (the single executable) never lies: the flag exists for chaos runs from a checkout.
      if (opts.byzantine != null && (await import('node:sea')).isSea()) throw usageError('--byzantine is for test builds only; this is a production build')
      const settings = ctx.settings({ listen: opts.listen, bootstrap: opts.bootstrap, genesis: opts.genesis, admin: opts.admin, metrics: opts.metrics, mdns: opts.mdns, receiveDir: opts.receiveDir })
      const logger = ctx.logger()
      // Loaded on demand: libp2p is heavy, and most commands are thin clients that never need it.
      const { NovacronNode } = await import('../../node/node.ts')
      const { installProcessGuards } = await import('../../node/process-guards.ts')
      installProcessGuards(logger)
      if (opts.byzantine != null) logger.warn({ mode: opts.byzantine }, 'BYZANTINE test mode: this node deliberately misbehaves')
      const running = await NovacronNode.init(settings, { logger, byzantine: opts.byzantine })
      let signals = 0
      await new Promise<void>(resolve => {
        const onSignal = (signal: NodeJS.Signals): void => {
          const code = signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated
          if (++signals > 1) {
            logger.warn({ signal }, 'second signal: exiting now')
            process.exit(code)
          }
          logger.info({ signal }, 'shutting down (send the signal again to force)')
          process.exitCode = code
          running.close().then(resolve, err => { logger.error({ err: String(err) }, 'shutdown failed'); resolve() })
        }
        process.on('SIGINT', onSignal)
        process.on('SIGTERM', onSignal)
      })
      logger.info('stopped')
      logger.flush?.()
      // libp2p may leave sockets closing in the background; the node is done.
      setTimeout(() => process.exit(), 200).unref()
    })

  node.command('id')
    .description("print this node's peer id, public key and addresses (what a genesis needs)")
    .addHelpText('after', `
Example:
  $ novacron node id --data-dir /var/lib/novacron
  $ novacron node id --json | jq -r .peerId`)
    .action(async () => {
      const ctx = context()
      const settings = ctx.settings()
      const { loadIdentity } = await import('../../net/identity.ts')
      const identity = loadIdentity(settings.dataDir)
      const runtime = readRuntime(settings.dataDir)
      let addrs = runtime?.listen ?? settings.listen
      const genesisPath = join(settings.dataDir, DATA_FILES.genesis)
      if (addrs.length === 0 && existsSync(genesisPath)) {
        addrs = readGenesis(genesisPath).validators.filter(v => v.peerId === identity.peerId).map(v => v.addr)
      }
      ctx.print({ peerId: identity.peerId, publicKey: identity.publicKey, addrs }, r =>
        `peer id    ${r.peerId}\npublic key ${r.publicKey}\naddrs      ${r.addrs.length > 0 ? r.addrs.join(' ') : '(not listening; the genesis decides)'}\n` +
        `for genesis create: --validator ${r.peerId}=${r.publicKey}@${(r.addrs[0] as string | undefined)?.replace(/\/p2p\/.*/, '') ?? '/ip4/HOST_IP/tcp/7400'}`)
    })
}
