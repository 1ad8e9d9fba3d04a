// What every command gets: the global flags, settings resolved with the CLI.md precedence, a logger on
// stderr, output that honours --json, and the admin client of the node to talk to.
import { join } from 'node:path'
import { NovacronError } from '../config/errors.ts'
import { loadSettings, type Settings } from '../config/settings.ts'
import { createLogger, type Logger } from '../log/index.ts'
import { AdminClient } from '../api/client.ts'
import { DATA_FILES, readRuntime, readToken } from '../node/data-dir.ts'

export interface GlobalFlags {
  json?: boolean
  dataDir?: string
  config?: string
  logLevel?: string
  node?: string
  tokenFile?: string
}

/** One place decides whether a human is watching: spinners, colours and TUIs only then. */
export function isInteractive (flags: GlobalFlags, stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && flags.json !== true && (process.env.CI == null || process.env.CI === '' || process.env.CI === 'false')
}

export class CliContext {
  readonly flags: GlobalFlags
  private cached: Settings | null = null
  private cachedLogger: Logger | null = null

  constructor (flags: GlobalFlags) {
    this.flags = flags
  }

  get json (): boolean { return this.flags.json === true }

  /** Settings from defaults < config file < environment < flags (global and the command's own). */
  settings (commandFlags: Partial<Record<keyof Settings, unknown>> = {}): Settings {
    if (this.cached != null && Object.keys(commandFlags).length === 0) return this.cached
    const { json: _json, config, ...globals } = this.flags
    const flags: Partial<Record<keyof Settings, unknown>> = { ...globals, ...commandFlags }
    for (const k of Object.keys(flags) as Array<keyof Settings>) if (flags[k] === undefined) delete flags[k]
    this.cached = loadSettings({ flags, configFile: config })
    return this.cached
  }

  logger (): Logger {
    this.cachedLogger ??= createLogger({ level: this.settings().logLevel })
    return this.cachedLogger
  }

  /** The admin client for --node, NOVACRON_NODE, or the node running with this data dir. */
  client (): AdminClient {
    const s = this.settings()
    let url = s.node
    if (url == null) {
      const runtime = readRuntime(s.dataDir)
      if (runtime == null) throw new NovacronError('unreachable', `no running node found for data dir ${s.dataDir} (start one with \`novacron node start\`, or pass --node URL)`)
      url = runtime.admin
    }
    const tokenFile = s.tokenFile ?? join(s.dataDir, DATA_FILES.token)
    let token: string | null = null
    try {
      token = readToken(tokenFile)
    } catch (err) {
      // With an explicit --node the server decides; without one the token belongs to that data dir.
      if (s.node == null || s.tokenFile != null) throw err
    }
    return new AdminClient({ url, token })
  }

  /** Prints the command's result: JSON with --json, otherwise the human rendering. */
  print (value: unknown, human?: (value: any) => string): void {
    if (this.json || human == null) process.stdout.write(JSON.stringify(value, null, this.json ? 0 : 2) + '\n')
    else process.stdout.write(human(value) + '\n')
  }
}
