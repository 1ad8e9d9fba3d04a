// A devnet: N real node processes on loopback, each in its own process group and data dir, sharing one
// genesis. The devnet file records their pids so `devnet down` can stop them from another shell.
import { spawn } from 'node:child_process'
import { existsSync, openSync, readFileSync, writeFileSync, closeSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { NovacronError, failure } from '../config/errors.ts'
import { GENESIS_VERSION, defaultParams, type ConsensusParams, type Genesis, type ProtocolName } from '../config/genesis.ts'
import { createIdentity } from '../net/identity.ts'
import { DATA_FILES, createToken, ensureDataDir, isAlive, readRuntime, readToken } from '../node/data-dir.ts'
import { AdminClient } from '../api/client.ts'
import type { StatusJson } from '../api/types.ts'
import { selfCommand } from './self.ts'

export const DEVNET_FILE = 'devnet.json'

export interface DevnetNode { id: string, admin: string, listen: string, dataDir: string, pid: number }
export interface DevnetFile { version: 1, protocol: ProtocolName, createdAt: string, nodes: DevnetNode[] }

export interface DevnetUpOptions {
  dir: string
  nodes: number
  protocol: ProtocolName
  basePort?: number
  params?: ConsensusParams
  logLevel?: string
  /** How long to wait for every node to connect to every other. */
  meshTimeoutMs?: number
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
    if (previous.nodes.some(n => isAlive(n.pid))) throw failure(`a devnet is already running in ${dir} (stop it with \`novacron devnet down --dir ${dir}\`)`)
  }
  progress(`creating ${opts.nodes} node keys in ${dir}`)
  const validators: Genesis['validators'] = []
  const dataDirs: string[] = []
  for (let i = 0; i < opts.nodes; i++) {
    const dataDir = join(dir, `node-${i}`)
    ensureDataDir(dataDir)
    const identity = await createIdentity(dataDir)
    createToken(dataDir)
    const port = opts.basePort != null ? opts.basePort + 2 * i : await freePort()
    validators.push({ peerId: identity.peerId, publicKey: identity.publicKey, addr: `/ip4/127.0.0.1/tcp/${port}` })
    dataDirs.push(dataDir)
  }
  const genesis: Genesis = {
    version: GENESIS_VERSION,
    cluster: 'devnet',
    protocol: opts.protocol,
    createdAt: new Date().toISOString(),
    params: opts.params ?? defaultParams(opts.protocol),
    validators
  }
  const genesisPath = join(dir, 'genesis.json')
  writeFileSync(genesisPath, JSON.stringify(genesis, null, 2) + '\n')
  for (const d of dataDirs) {
    // A devnet is re-created from scratch each time; an old genesis copy would be refused.
    const stale = join(d, DATA_FILES.genesis)
    if (existsSync(stale)) writeFileSync(stale, readFileSync(genesisPath))
  }

  const started = Date.now()
  const { command, args } = selfCommand()
  const children = dataDirs.map((dataDir, i) => {
    const admin = opts.basePort != null ? `127.0.0.1:${opts.basePort + 2 * i + 1}` : '127.0.0.1:0'
    const log = openSync(join(dataDir, 'node.log'), 'a')
    const lie = opts.byzantine != null && i >= opts.nodes - opts.byzantine.count ? ['--byzantine', opts.byzantine.mode] : []
    const child = spawn(command, [...args, 'node', 'start', '--data-dir', dataDir, '--genesis', genesisPath, '--admin', admin, '--log-level', opts.logLevel ?? 'info', ...lie], {
      detached: true,
      stdio: ['ignore', log, log],
      env: childEnv()
    })
    closeSync(log)
    child.unref()
    return { pid: child.pid ?? -1, dataDir, exited: false as boolean, child }
  })
  for (const c of children) c.child.once('exit', () => { c.exited = true })
  progress(`started ${children.length} node processes; waiting for their admin APIs`)

  const nodes: DevnetNode[] = []
  try {
    for (const [i, c] of children.entries()) {
      const runtime = await waitFor(`node-${i} to start`, 30_000, () => {
        if (c.exited) throw failure(`devnet node-${i} exited during start-up:\n${tail(join(c.dataDir, 'node.log'))}`)
        const r = readRuntime(c.dataDir)
        return r != null && r.pid === c.pid ? r : null
      })
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

export function clientFor (node: Pick<DevnetNode, 'admin' | 'dataDir'>): AdminClient {
  return new AdminClient({ url: node.admin, token: readToken(join(node.dataDir, DATA_FILES.token)), timeoutMs: 3000 })
}

export async function devnetDown (dir: string): Promise<string[]> {
  const devnet = readDevnet(resolve(dir))
  const alive = devnet.nodes.filter(n => isAlive(n.pid))
  for (const n of alive) killGroup(n.pid, 'SIGTERM')
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && alive.some(n => isAlive(n.pid))) await sleep(100)
  for (const n of alive) if (isAlive(n.pid)) killGroup(n.pid, 'SIGKILL')
  return alive.map(n => n.id)
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
    const alive = isAlive(n.pid)
    const runtime = readRuntime(n.dataDir)
    const status = alive && runtime != null ? await clientFor({ admin: runtime.admin, dataDir: n.dataDir }).status().catch(() => null) : null
    return { ...n, admin: runtime?.admin ?? n.admin, alive, height: status?.height ?? null, peersConnected: status?.peers.filter(p => p.connected).length ?? null, status }
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
