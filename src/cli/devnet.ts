// A devnet: N real node processes on loopback, each in its own process group and data dir, sharing one
// genesis. The devnet file records their pids so `devnet down` can stop them from another shell.
import type { PlacementPolicyName } from '../alloc/policies.ts'
import { spawn } from 'node:child_process'
import { existsSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs'
import { createServer } from 'node:net'
import { basename, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { NovacronError, failure, usageError } from '../config/errors.ts'
import { GENESIS_VERSION, type Genesis, type GenesisParams } from '../config/genesis.ts'
import { checkGenesis, genesisParams } from '../node/protocols.ts'
import { DATA_FILES, createClientKey, createToken, ensureDataDir, isAlive, readRuntime, readToken, runningNodePid, type RuntimeInfo } from '../node/data-dir.ts'
import { createVrfKey } from '../node/vrf-key.ts'
import { AdminClient } from '../api/client.ts'
import type { StatusJson } from '../api/types.ts'
import { selfCommand } from './self.ts'

export const DEVNET_FILE = 'devnet.json'

export interface DevnetNode { id: string, admin: string, listen: string, dataDir: string, pid: number }
export interface DevnetFile { version: 1, protocol: string, createdAt: string, nodes: DevnetNode[] }

export interface DevnetUpOptions {
  dir: string
  nodes: number
  protocol: string
  basePort?: number
  params?: GenesisParams
  logLevel?: string
  /** How long to wait for every node to connect to every other. */
  meshTimeoutMs?: number
  /** genesis `placement.policy`; absent: none written (best-fit) */
  placement?: PlacementPolicyName
  /** Test builds: the last `count` nodes start with `--byzantine mode`. */
  byzantine?: { count: number, mode: string }
}

export async function freePort (): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolvePort(port))
    })
  })
}

export function readDevnet (dir: string): DevnetFile {
  const path = join(dir, DEVNET_FILE)
  if (!existsSync(path)) throw new NovacronError('config', `no devnet in ${dir} (start one with \`novacron devnet up --dir ${dir}\`)`)
  return JSON.parse(readFileSync(path, 'utf8')) as DevnetFile
}

export async function devnetUp (opts: DevnetUpOptions, { progress }: { progress: (msg: string) => void }): Promise<{ dir: string, nodes: DevnetNode[], meshMs: number }> {
  const dir = resolve(opts.dir)
  ensureDataDir(dir)
  if (existsSync(join(dir, DEVNET_FILE))) {
    const previous = readDevnet(dir)
    if (previous.nodes.some(n => nodePids(n).length > 0)) throw failure(`a devnet is already running in ${dir} (stop it with \`novacron devnet down --dir ${dir}\`)`)
  }
  progress(`creating ${opts.nodes} node keys in ${dir}`)
  const { createIdentity } = await import('../net/identity.ts')
  const validators: Genesis['validators'] = []
  const dataDirs: string[] = []
  for (let i = 0; i < opts.nodes; i++) {
    const dataDir = join(dir, `node-${i}`)
    ensureDataDir(dataDir)
    const identity = await createIdentity(dataDir)
    createToken(dataDir)
    createClientKey(dataDir)
    const vrfKey = createVrfKey(dataDir)
    const port = opts.basePort != null ? opts.basePort + 2 * i : await freePort()
    validators.push({ peerId: identity.peerId, publicKey: identity.publicKey, addr: `/ip4/127.0.0.1/tcp/${port}`, vrfPublicKey: vrfKey.publicKey })
    dataDirs.push(dataDir)
  }
  const genesis: Genesis = {
    version: GENESIS_VERSION,
    cluster: 'devnet',
    protocol: opts.protocol,
    createdAt: new Date().toISOString(),
    params: opts.params ?? genesisParams(opts.protocol, []),
    validators,
    ...(opts.placement != null ? { placement: { policy: opts.placement } } : {})
  }
  checkGenesis(genesis, 'devnet genesis', 'usage')
  const genesisPath = join(dir, 'genesis.json')
  writeFileSync(genesisPath, JSON.stringify(genesis, null, 2) + '\n')
  for (const d of dataDirs) {
    // A devnet is re-created from scratch each time; an old genesis copy would be refused.
    const stale = join(d, DATA_FILES.genesis)
    if (existsSync(stale)) writeFileSync(stale, readFileSync(genesisPath))
    // ...and so would the addresses an earlier devnet's node remembered in its config.
    rmSync(join(d, DATA_FILES.config), { force: true })
  }

  const started = Date.now()
  const children = dataDirs.map((dataDir, i) => {
    const lie = opts.byzantine != null && i >= opts.nodes - opts.byzantine.count ? ['--byzantine', opts.byzantine.mode] : []
    return spawnNode(dataDir, ['--genesis', genesisPath, '--admin', opts.basePort != null ? `127.0.0.1:${opts.basePort + 2 * i + 1}` : '127.0.0.1:0', '--log-level', opts.logLevel ?? 'info', ...lie])
  })
  progress(`started ${children.length} node processes; waiting for their admin APIs`)

  const nodes: DevnetNode[] = []
  try {
    for (const [i, c] of children.entries()) {
      const runtime = await waitForStart(`node-${i}`, c)
      nodes.push({ id: runtime.peerId, admin: runtime.admin, listen: validators[i].addr, dataDir: c.dataDir, pid: c.pid })
    }
    writeFileSync(join(dir, DEVNET_FILE), JSON.stringify({ version: 1, protocol: opts.protocol, createdAt: new Date().toISOString(), nodes } satisfies DevnetFile, null, 2) + '\n')
    progress('waiting for a full mesh')
    await waitFor('a full mesh', opts.meshTimeoutMs ?? 60_000, async () => {
      const statuses = await Promise.all(nodes.map(n => clientFor(n).status().catch(() => null)))
      return statuses.every(s => s != null && s.peers.filter(p => p.connected && p.consensus === 'open').length >= nodes.length - 1) ? true : null
    })
  } catch (err) {
    for (const c of children) killGroup(c.pid, 'SIGKILL')
    throw err
  }
  return { dir, nodes, meshMs: Date.now() - started }
}

// Children get their settings from flags only, not from whatever NOVACRON_* the caller had set.
function childEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('NOVACRON_') && key !== 'NOVACRON_BIN') delete env[key]
  return env
}

export function clientFor (node: Pick<DevnetNode, 'admin' | 'dataDir'>, timeoutMs = 3000): AdminClient {
  return new AdminClient({ url: node.admin, token: readToken(join(node.dataDir, DATA_FILES.token)), timeoutMs })
}

/** A devnet node's process started in the background, in its own process group, logging to node.log. */
function spawnNode (dataDir: string, extra: string[]): StartedNode {
  const { command, args } = selfCommand()
  const log = openSync(join(dataDir, 'node.log'), 'a')
  const child = spawn(command, [...args, 'node', 'start', '--data-dir', dataDir, ...extra], { detached: true, stdio: ['ignore', log, log], env: childEnv() })
  closeSync(log)
  child.unref()
  const started: StartedNode = { pid: child.pid ?? -1, dataDir, exited: null }
  // A node killed by a signal prints nothing of its own: the signal is then all there is to say.
  child.once('exit', (code, signal) => { started.exited = signal != null ? `killed by ${signal}` : `exit code ${code ?? '?'}` })
  return started
}

interface StartedNode { pid: number, dataDir: string, exited: string | null }

async function waitForStart (name: string, c: StartedNode): Promise<RuntimeInfo> {
  return await waitFor(`${name} to start`, 30_000, () => {
    if (c.exited != null) throw failure(`devnet ${name} exited during start-up (${c.exited}):\n${tail(join(c.dataDir, 'node.log'))}`)
    const r = readRuntime(c.dataDir)
    return r != null && r.pid === c.pid ? r : null
  })
}

/** Every live process of a devnet node: the one devnet started and the one its node.json names (a node restarted by hand). */
function nodePids (n: DevnetNode): number[] {
  return [...new Set([n.pid, runningNodePid(n.dataDir)].filter((p): p is number => p != null && p > 0 && isAlive(p)))]
}

async function stopPids (pids: number[]): Promise<void> {
  for (const pid of pids) killGroup(pid, 'SIGTERM')
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && pids.some(isAlive)) await sleep(50)
  for (const pid of pids) if (isAlive(pid)) killGroup(pid, 'SIGKILL')
}

export async function devnetDown (dir: string): Promise<string[]> {
  const devnet = readDevnet(resolve(dir))
  const running = devnet.nodes.map(n => ({ n, pids: nodePids(n) })).filter(x => x.pids.length > 0)
  await stopPids(running.flatMap(x => x.pids))
  return running.map(x => x.n.id)
}

/** The devnet node NODE names: its index (0), its dir name (node-0), or its peer id (or a unique suffix of it). */
export function findDevnetNode (devnet: DevnetFile, name: string): { index: number, node: DevnetNode } {
  const index = devnet.nodes.findIndex((n, i) => String(i) === name || basename(n.dataDir) === name || n.id === name || (name.length >= 6 && n.id.endsWith(name)))
  if (index < 0) throw usageError(`no devnet node ${JSON.stringify(name)} (give an index 0-${devnet.nodes.length - 1}, a name like node-0, or a peer id)`)
  return { index, node: devnet.nodes[index] }
}

export interface DevnetNodeChange { id: string, name: string, dataDir: string, pid: number | null, admin: string | null, stopped: number[] }

/**
 * Stops one devnet node (every process of it, hand-restarted ones too), starts it again from its data dir
 * alone (it keeps its genesis and its remembered addresses), or both; devnet.json follows the new pid.
 */
export async function devnetNode (dir: string, name: string, action: 'stop' | 'start' | 'restart', logLevel = 'info'): Promise<DevnetNodeChange> {
  const root = resolve(dir)
  const devnet = readDevnet(root)
  const { index, node } = findDevnetNode(devnet, name)
  const label = basename(node.dataDir)
  let stopped: number[] = []
  if (action !== 'start') {
    stopped = nodePids(node)
    await stopPids(stopped)
  }
  if (action === 'stop') return { id: node.id, name: label, dataDir: node.dataDir, pid: null, admin: null, stopped }
  const already = runningNodePid(node.dataDir)
  if (already != null) throw failure(`${label} is already running (pid ${already}); use \`devnet restart ${name}\``)
  const child = spawnNode(node.dataDir, ['--log-level', logLevel])
  const runtime = await waitForStart(label, child)
  // Re-read: another command may have changed the file while this node started.
  const current = readDevnet(root)
  current.nodes[index] = { ...current.nodes[index], pid: child.pid, admin: runtime.admin }
  writeFileSync(join(root, DEVNET_FILE), JSON.stringify(current, null, 2) + '\n')
  return { id: node.id, name: label, dataDir: node.dataDir, pid: child.pid, admin: runtime.admin, stopped }
}

export interface DevnetNodeStatus extends DevnetNode {
  alive: boolean
  height: number | null
  peersConnected: number | null
  status: StatusJson | null
}

export async function devnetStatus (dir: string): Promise<DevnetNodeStatus[]> {
  const devnet = readDevnet(resolve(dir))
  return await Promise.all(devnet.nodes.map(async n => {
    const pid = runningNodePid(n.dataDir) ?? (isAlive(n.pid) ? n.pid : null)
    const alive = pid != null
    const runtime = readRuntime(n.dataDir)
    const status = alive && runtime != null ? await clientFor({ admin: runtime.admin, dataDir: n.dataDir }).status().catch(() => null) : null
    return { ...n, pid: pid ?? n.pid, admin: runtime?.admin ?? n.admin, alive, height: status?.height ?? null, peersConnected: status?.peers.filter(p => p.connected).length ?? null, status }
  }))
}

export function killGroup (pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal) } catch { try { process.kill(pid, signal) } catch { /* already gone */ } }
}

async function waitFor<T> (what: string, timeoutMs: number, probe: () => T | null | Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await probe()
    if (value != null) return value
    if (Date.now() > deadline) throw failure(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

function tail (path: string, lines = 8): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).map(l => '  | ' + l).join('\n')
  } catch {
    return '  (no log)'
  }
}
