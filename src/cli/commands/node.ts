import { Option } from 'commander'
import type { Register } from '../main.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { DATA_FILES, isAlive, readRuntime, runningNodePid } from '../../node/data-dir.ts'
import { failure, usageError } from '../../config/errors.ts'
import { readGenesis } from '../../config/genesis.ts'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ExitCode } from '../exit-codes.ts'
import { withProgress } from '../progress.ts'
import { execTuned } from '../runtime-tuning.ts'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export const registerNode: Register = (program, context) => {
  const node = program.command('node')

  node.command('start')
    .description('start the node in the foreground: libp2p mesh, consensus, admin API (stop with Ctrl-C or SIGTERM)')
    .option('--listen <multiaddr>', 'libp2p listen address (repeatable; default: the port genesis names for this node)', collect)
    .option('--bootstrap <multiaddr>', 'extra peer to dial, with /p2p/ID (repeatable)', collect)
    .option('--genesis <file>', 'genesis file; needed on first start only (it is kept in the data dir)')
    .option('--admin <host:port>', 'admin API address (default 127.0.0.1:7401; port 0 picks one)')
    .option('--metrics <host:port>', 'also serve /metrics without a token on this address')
    .option('--mdns', 'discover peers on the local network with mDNS')
    .option('--receive-dir <dir>', 'where files other nodes send land (default <data-dir>/received)')
    .option('--capacity <spec>', 'what this host offers workloads, e.g. cpu=8,memMiB=16384,diskGiB=100 (default: from the OS)')
    .addOption(new Option('--byzantine <mode>', "test builds only: run one of the simulator's Byzantine behaviours (refused by the single executable)").hideHelp())
    .addHelpText('after', `
Example:
  $ novacron node start --data-dir /var/lib/novacron --genesis genesis.json
  $ novacron node start --data-dir /var/lib/novacron          # later restarts: same addresses`)
    .action(async (opts: { listen?: string[], bootstrap?: string[], genesis?: string, admin?: string, metrics?: string, mdns?: boolean, receiveDir?: string, capacity?: string, byzantine?: string }) => {
      // Memory settings for a long run need a fresh process image: this replaces the process once (same pid).
      execTuned(msg => process.stderr.write(`${msg}\n`))
      const ctx = context()
      // A production build (the single executable) never lies: the flag exists for chaos runs from a checkout.
      if (opts.byzantine != null && (await import('node:sea')).isSea()) throw usageError('--byzantine is for test builds only; this is a production build')
      const settings = ctx.settings({ listen: opts.listen, bootstrap: opts.bootstrap, genesis: opts.genesis, admin: opts.admin, metrics: opts.metrics, mdns: opts.mdns, receiveDir: opts.receiveDir, capacity: opts.capacity })
      const logger = await ctx.logger()
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

  node.command('stop')
    .description('stop the node running with this data dir gracefully (SIGTERM; it finishes what it writes and removes node.json)')
    .option('--timeout <s>', 'seconds to wait for it to exit', '30')
    .option('--force', 'SIGKILL it when it has not exited in time (its WAL keeps it safe; the next start recovers)')
    .addHelpText('after', `
Exit 0 when it stopped (or was not running), 1 when it is still running after --timeout.

Example:
  $ novacron node stop --data-dir /var/lib/novacron
  $ novacron node stop --data-dir .devnet/node-1 --timeout 5 --force --json`)
    .action(async (opts: { timeout: string, force?: boolean }) => {
      const ctx = context()
      const seconds = Number(opts.timeout)
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw usageError(`--timeout must be a number of seconds from 0 to 3600, got ${JSON.stringify(opts.timeout)}`)
      const { dataDir } = ctx.settings()
      const pid = runningNodePid(dataDir)
      if (pid == null) {
        ctx.print({ dataDir, pid: null, stopped: false, signal: null }, () => `no node is running with data dir ${dataDir}`)
        return
      }
      process.kill(pid, 'SIGTERM')
      const deadline = Date.now() + seconds * 1000
      await withProgress(ctx, `waiting for node pid ${pid} to stop`, async () => { while (Date.now() < deadline && isAlive(pid)) await sleep(50) })
      let signal: NodeJS.Signals = 'SIGTERM'
      if (isAlive(pid)) {
        if (opts.force !== true) throw failure(`node pid ${pid} is still running after ${seconds} s (wait longer with --timeout, or --force)`)
        process.kill(pid, 'SIGKILL')
        signal = 'SIGKILL'
        while (isAlive(pid)) await sleep(20)
      }
      ctx.print({ dataDir, pid, stopped: true, signal }, r => `stopped the node of ${r.dataDir} (pid ${r.pid}, ${r.signal})`)
    })

  node.command('id')
    .description("print this node's peer id, public key, VRF public key and addresses (what a genesis needs)")
    .addHelpText('after', `
vrfPublicKey is the ECVRF key of <data-dir>/vrf.key (null when an older init made none: run init again).

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
      const { loadVrfKey } = await import('../../node/vrf-key.ts')
      const vrfPublicKey = loadVrfKey(settings.dataDir)?.publicKey ?? null
      ctx.print({ peerId: identity.peerId, publicKey: identity.publicKey, vrfPublicKey, addrs }, r =>
        `peer id    ${r.peerId}\npublic key ${r.publicKey}\nvrf key    ${r.vrfPublicKey ?? '(none: run `novacron init` again to add vrf.key)'}\naddrs      ${r.addrs.length > 0 ? r.addrs.join(' ') : '(not listening; the genesis decides)'}\n` +
        `for genesis create: --validator ${r.peerId}=${r.publicKey}${r.vrfPublicKey != null ? `,vrf=${r.vrfPublicKey}` : ''}@${(r.addrs[0] as string | undefined)?.replace(/\/p2p\/.*/, '') ?? '/ip4/HOST_IP/tcp/7400'}`)
    })
}
