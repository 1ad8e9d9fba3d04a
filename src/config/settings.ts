// Node and CLI settings: one schema, five sources. Precedence (CLI.md): built-in defaults < config file <
// the chosen context (`novacron context`) < NOVACRON_* environment < flags. Every value is validated by the
// same parser whatever its source, and an error names the key and the source (a bad flag is a usage error,
// exit 2; a bad file, context or env value, exit 3).
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { NovacronError } from './errors.ts'

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const
export type LogLevel = typeof LOG_LEVELS[number]

export interface Settings {
  cluster: string
  dataDir: string
  logLevel: LogLevel
  listen: string[]
  bootstrap: string[]
  genesis: string | null
  admin: string
  metrics: string | null
  mdns: boolean
  node: string | null
  tokenFile: string | null
  /** Where files other nodes send with DWCP land; <dataDir>/received by default. */
  receiveDir: string | null
  /** What this host advertises for workloads; a field left out is read from the OS. */
  capacity: Partial<HostCapacity> | null
}

export interface HostCapacity { cpu: number, memMiB: number, diskGiB: number }

/** `{ cpu, memMiB, diskGiB }` (config file) or `cpu=8,memMiB=16384,diskGiB=100` (flag, env). */
function capacity (raw: unknown): Partial<HostCapacity> {
  const entries: Array<[string, unknown]> = typeof raw === 'string'
    ? raw.split(',').map(s => s.trim()).filter(Boolean).map(s => { const [k, v] = s.split('='); return [k, v === undefined ? undefined : Number(v)] })
    : raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? Object.entries(raw) : []
  if (entries.length === 0) throw new Error(`expected cpu=N,memMiB=N,diskGiB=N (any of them), got ${JSON.stringify(raw)}`)
  const out: Partial<HostCapacity> = {}
  for (const [k, v] of entries) {
    if (k !== 'cpu' && k !== 'memMiB' && k !== 'diskGiB') throw new Error(`unknown capacity "${k}" (known: cpu, memMiB, diskGiB)`)
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffff_ffff) throw new Error(`capacity ${k} must be an integer from 0 to 4294967295, got ${JSON.stringify(v)}`)
    out[k] = v as number
  }
  return out
}

type Source = 'default' | 'file' | 'context' | 'env' | 'flag'
type Parser<T> = (raw: unknown) => T

const CLUSTER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i

function str (raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) throw new Error(`expected a non-empty string, got ${JSON.stringify(raw)}`)
  return raw
}
function list (raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(str)
  if (typeof raw === 'string') return raw.split(',').map(s => s.trim()).filter(Boolean)
  throw new Error(`expected a list of strings, got ${JSON.stringify(raw)}`)
}
function multiaddrs (raw: unknown): string[] {
  const addrs = list(raw)
  for (const a of addrs) if (!/^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d{1,5}(\/p2p\/\w+)?$/.test(a)) throw new Error(`expected a TCP multiaddr like /ip4/127.0.0.1/tcp/7400, got ${JSON.stringify(a)}`)
  return addrs
}
export function parseHostPort (raw: unknown): string {
  const s = str(raw)
  const m = /^(\[[0-9a-f:]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(s)
  if (m == null || Number(m[2]) > 65535) throw new Error(`expected HOST:PORT like 127.0.0.1:7401, got ${JSON.stringify(s)}`)
  return s
}
function bool (raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new Error(`expected true or false, got ${JSON.stringify(raw)}`)
}
const nullable = <T>(p: Parser<T>): Parser<T | null> => raw => raw === null ? null : p(raw)

const parsers: { [K in keyof Settings]: Parser<Settings[K]> } = {
  cluster: raw => {
    const s = str(raw)
    if (!CLUSTER_NAME.test(s)) throw new Error(`expected letters, digits, '-' or '_' (at most 63), got ${JSON.stringify(s)}`)
    return s
  },
  dataDir: raw => resolve(str(raw)),
  logLevel: raw => {
    if (!LOG_LEVELS.includes(raw as LogLevel)) throw new Error(`expected one of ${LOG_LEVELS.join('|')}, got ${JSON.stringify(raw)}`)
    return raw as LogLevel
  },
  listen: multiaddrs,
  bootstrap: multiaddrs,
  genesis: nullable(raw => resolve(str(raw))),
  admin: parseHostPort,
  metrics: nullable(parseHostPort),
  mdns: bool,
  node: nullable(raw => {
    const s = str(raw)
    let url: URL
    try { url = new URL(s) } catch { throw new Error(`expected a URL like http://127.0.0.1:7401, got ${JSON.stringify(s)}`) }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`expected an http(s) URL, got ${JSON.stringify(s)}`)
    return s.replace(/\/+$/, '')
  }),
  tokenFile: nullable(raw => resolve(str(raw))),
  receiveDir: nullable(raw => resolve(str(raw))),
  capacity: nullable(capacity)
}

export const ENV_NAMES: { [K in keyof Settings]: string } = {
  cluster: 'NOVACRON_CLUSTER',
  dataDir: 'NOVACRON_DATA_DIR',
  logLevel: 'NOVACRON_LOG_LEVEL',
  listen: 'NOVACRON_LISTEN',
  bootstrap: 'NOVACRON_BOOTSTRAP',
  genesis: 'NOVACRON_GENESIS',
  admin: 'NOVACRON_ADMIN',
  metrics: 'NOVACRON_METRICS',
  mdns: 'NOVACRON_MDNS',
  node: 'NOVACRON_NODE',
  tokenFile: 'NOVACRON_TOKEN_FILE',
  receiveDir: 'NOVACRON_RECEIVE_DIR',
  capacity: 'NOVACRON_CAPACITY'
}

export function defaultDataDir (cluster: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME != null && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(base, 'novacron', cluster)
}

/** Where user settings live (contexts): $XDG_CONFIG_HOME/novacron, else ~/.config/novacron. */
export function confDir (env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME != null && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), '.config')
  return join(base, 'novacron')
}

export function defaults (cluster = 'default', env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    cluster,
    dataDir: defaultDataDir(cluster, env),
    logLevel: 'info',
    // Empty: a validator listens on its genesis address's port, an observer on any free port.
    listen: [],
    bootstrap: [],
    genesis: null,
    admin: '127.0.0.1:7401',
    metrics: null,
    mdns: false,
    node: null,
    tokenFile: null,
    receiveDir: null,
    capacity: null
  }
}

function invalid (source: Source, key: keyof Settings, where: string, err: unknown): NovacronError {
  const why = err instanceof Error ? err.message : String(err)
  const kind = source === 'flag' ? 'usage' : 'config'
  const name = source === 'flag' ? `--${key.replace(/[A-Z]/g, c => '-' + c.toLowerCase())}` : source === 'env' ? ENV_NAMES[key] : `key "${key}"`
  return new NovacronError(kind, `${where}${name}: ${why}`)
}

function apply (into: Settings, values: Partial<Record<keyof Settings, unknown>>, source: Source, where: string): void {
  for (const [key, raw] of Object.entries(values) as Array<[keyof Settings, unknown]>) {
    if (raw === undefined) continue
    const parse = parsers[key] as Parser<unknown>
    try {
      (into as unknown as Record<string, unknown>)[key] = parse(raw)
    } catch (err) {
      throw invalid(source, key, where, err)
    }
  }
}

export function readConfigFile (path: string): Partial<Record<keyof Settings, unknown>> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new NovacronError('config', `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new NovacronError('config', `config file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new NovacronError('config', `config file ${path} must hold a JSON object`)
  const out: Partial<Record<keyof Settings, unknown>> = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (key === '$schema' || key === 'version') continue
    if (!(key in parsers)) throw new NovacronError('config', `config file ${path}: unknown key "${key}" (known: ${Object.keys(parsers).join(', ')})`)
    out[key as keyof Settings] = value
  }
  return out
}

export interface SettingsSources {
  flags: Partial<Record<keyof Settings, unknown>>
  env?: NodeJS.ProcessEnv
  /** --config FILE; without it, <dataDir>/config.json is read when present. */
  configFile?: string
  /** The values of the chosen context (between the config file and the environment). */
  context?: { name: string, values: Partial<Record<keyof Settings, unknown>> }
  exists?: (path: string) => boolean
}

/** Merges defaults < config file < context < environment < flags, validating every value. */
export function loadSettings ({ flags, env = process.env, configFile, context, exists }: SettingsSources): Settings & { configFile: string | null } {
  const envValues: Partial<Record<keyof Settings, unknown>> = {}
  for (const [key, name] of Object.entries(ENV_NAMES) as Array<[keyof Settings, string]>) {
    if (env[name] !== undefined && env[name] !== '') envValues[key] = env[name]
  }
  // The data dir decides where the default config file is, so resolve it first from the higher sources.
  const probe = defaults(String(flags.cluster ?? envValues.cluster ?? 'default'), env)
  apply(probe, { dataDir: envValues.dataDir }, 'env', '')
  apply(probe, { dataDir: flags.dataDir }, 'flag', '')
  const envConfig = env.NOVACRON_CONFIG === '' ? undefined : env.NOVACRON_CONFIG
  const file = configFile ?? envConfig ?? join(probe.dataDir, 'config.json')
  const explicit = configFile != null || envConfig != null
  const fileValues = explicit || (exists ?? defaultExists)(file) ? readConfigFile(file) : {}

  const cluster = String(flags.cluster ?? envValues.cluster ?? fileValues.cluster ?? 'default')
  const settings = defaults(cluster, env)
  apply(settings, fileValues, 'file', `config file ${file}: `)
  if (context != null) apply(settings, context.values, 'context', `context ${context.name}: `)
  apply(settings, envValues, 'env', '')
  apply(settings, flags, 'flag', '')
  if (fileValues.dataDir === undefined && envValues.dataDir === undefined && flags.dataDir === undefined) settings.dataDir = defaultDataDir(settings.cluster, env)
  return { ...settings, configFile: explicit || (exists ?? defaultExists)(file) ? file : null }
}

const defaultExists = (path: string): boolean => existsSync(path)
