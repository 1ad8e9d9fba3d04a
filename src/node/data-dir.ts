// The layout of a node's data dir (ARCHITECTURE.md "Where data lives") and the small files in it: the
// admin token (0600), the genesis the node was started with, and the runtime file that tells the CLI where
// a running node's admin API is.
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../config/errors.ts'

export const DATA_FILES = {
  key: 'node.key',
  token: 'admin.token',
  config: 'config.json',
  genesis: 'genesis.json',
  runtime: 'node.json',
  /** the CLI's own Ed25519 seed (0600): `kv put|del` sign with it (src/state/signed-tx.ts) */
  clientKey: 'client.key',
  /** the ECVRF secret seed (0600), separate from node.key: ProBFT proves its vote samples with it (src/node/vrf-key.ts) */
  vrfKey: 'vrf.key'
} as const

export interface RuntimeInfo {
  version: 1
  pid: number
  peerId: string
  admin: string
  listen: string[]
  startedAt: string
}

/** Creates the data dir if needed and checks that this process can read and write it. */
export function ensureDataDir (dir: string, { create = true } = {}): void {
  if (!existsSync(dir)) {
    if (!create) throw new NovacronError('config', `data dir ${dir} does not exist (run \`novacron init --data-dir ${dir}\`)`)
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
    } catch (err) {
      throw new NovacronError('config', `cannot create data dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    }
  }
  try {
    if (!statSync(dir).isDirectory()) throw new NovacronError('config', `data dir ${dir} is not a directory`)
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK)
  } catch (err) {
    if (err instanceof NovacronError) throw err
    throw new NovacronError('config', `data dir ${dir} is not readable and writable by this user (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
}

export function writePrivateFile (path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 })
  chmodSync(path, 0o600)
}

export function createToken (dataDir: string, { force = false } = {}): string {
  const path = join(dataDir, DATA_FILES.token)
  if (existsSync(path) && !force) return readToken(path)
  // Not a top-level import: the ESM namespace of node:crypto costs every thin client command its start-up.
  const token = process.getBuiltinModule('node:crypto').randomBytes(32).toString('base64url')
  writePrivateFile(path, token + '\n')
  return token
}

/** The client key's 32-byte seed, hex, made once (or anew with force). */
export function createClientKey (dataDir: string, { force = false } = {}): void {
  const path = join(dataDir, DATA_FILES.clientKey)
  if (existsSync(path) && !force) return
  writePrivateFile(path, process.getBuiltinModule('node:crypto').randomBytes(32).toString('hex') + '\n')
}

export function readToken (path: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new NovacronError('unauthorized', code === 'ENOENT' ? `no admin token at ${path} (pass --token-file, or --data-dir of the node)` : `cannot read admin token ${path}: ${code ?? String(err)}`)
  }
  if (text.length < 16) throw new NovacronError('unauthorized', `admin token in ${path} is too short`)
  return text
}

export function readRuntime (dataDir: string): RuntimeInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, DATA_FILES.runtime), 'utf8')) as RuntimeInfo
    return info.version === 1 && typeof info.admin === 'string' ? info : null
  } catch {
    return null
  }
}

export function writeRuntime (dataDir: string, info: RuntimeInfo): void {
  writeFileSync(join(dataDir, DATA_FILES.runtime), JSON.stringify(info, null, 2) + '\n')
}

export function removeRuntime (dataDir: string, pid: number): void {
  if (readRuntime(dataDir)?.pid === pid) rmSync(join(dataDir, DATA_FILES.runtime), { force: true })
}

/** Whether a process runs; a zombie (killed, not yet reaped by a parent that ignores it) counts as gone. */
export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

/**
 * The pid of the node that runs with this data dir, from its node.json: null when there is none, or when
 * that pid is gone or (a stale file whose pid was reused) is not a `novacron node start` process.
 */
export function runningNodePid (dataDir: string): number | null {
  const runtime = readRuntime(dataDir)
  if (runtime == null || !isAlive(runtime.pid)) return null
  try {
    const argv = readFileSync(`/proc/${runtime.pid}/cmdline`, 'utf8').split('\0')
    if (!argv.some((a, i) => a === 'node' && argv[i + 1] === 'start')) return null
  } catch { /* no /proc: trust node.json */ }
  return runtime.pid
}

/**
 * Writes the addresses a node bound on its first start into its data dir's config, so that a restart with
 * only --data-dir binds the same ones (a port the OS picked included). Keys already there are kept.
 */
export function rememberAddresses (dataDir: string, addrs: { admin: string, listen: string[] }): boolean {
  const path = join(dataDir, DATA_FILES.config)
  let config: Record<string, unknown> = {}
  if (existsSync(path)) {
    try {
      config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
    } catch {
      return false
    }
  }
  const missing: Record<string, unknown> = {}
  if (config.admin === undefined) missing.admin = addrs.admin
  if (config.listen === undefined && addrs.listen.length > 0) missing.listen = addrs.listen
  if (Object.keys(missing).length === 0) return false
  writeFileSync(path + '.tmp', JSON.stringify({ version: 1, ...config, ...missing }, null, 2) + '\n')
  renameSync(path + '.tmp', path)
  return true
}
