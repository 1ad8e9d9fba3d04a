// What every command gets: the global flags, settings resolved with the CLI.md precedence, a logger on
// stderr, output that honours --json / --output, and the admin client of the node to talk to. It imports
// nothing heavy: the logger (pino) and YAML are loaded only by the commands that use them.
import { join } from 'node:path'
import { NovacronError } from '../config/errors.ts'
import { loadSettings, type Settings } from '../config/settings.ts'
import type { Logger } from '../log/index.ts'
import { AdminClient } from '../api/client.ts'
import { DATA_FILES, readRuntime, readToken } from '../node/data-dir.ts'
import { chosenContext } from './context-store.ts'
import type { OutputFormat } from './main.ts'


export interface GlobalFlags {
  json?: boolean
  output?: OutputFormat
  dataDir?: string
  config?: string
  logLevel?: string
  context?: string
  node?: string
  tokenFile?: string
}

/** One place decides whether a human is watching: spinners, colours and TUIs only then. */
export function isInteractive (flags: GlobalFlags, stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && flags.json !== true && flags.output !== 'json' && flags.output !== 'yaml' &&
    (process.env.CI == null || process.env.CI === '' || process.env.CI === 'false')
}

/** A table's columns from its rows' keys (first row first); cells are strings, nested values JSON. */
export function renderTable (rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[] = Object.keys(rows[0] ?? {})): string {
  if (rows.length === 0) return '(none)'
  const cell = (v: unknown): string => v == null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  const cells = rows.map(r => columns.map(c => cell(r[c])))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map(r => r[i].length)))
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  return [line(columns.map(c => c.toUpperCase())), ...cells.map(line)].join('\n')
}

/** YAML is imported before parsing when `--output yaml` is asked for, so print() stays synchronous. */
let yaml: { stringify: (value: unknown) => string } | null = null
export async function prepareOutput (argv: readonly string[]): Promise<void> {
  const i = argv.findIndex(a => a === '--output' || a.startsWith('--output='))
  const format = i < 0 ? null : argv[i].includes('=') ? argv[i].slice('--output='.length) : argv[i + 1]
  if (format === 'yaml') yaml = await import('yaml')
}

export class CliContext {
  readonly flags: GlobalFlags
  private cached: ReturnType<typeof loadSettings> | null = null
  private cachedLogger: Logger | null = null

  constructor (flags: GlobalFlags) {
    this.flags = flags
  }

  /** Machine output: --json or --output json. */
  get json (): boolean { return this.flags.json === true || this.flags.output === 'json' }

  get output (): OutputFormat | 'human' { return this.flags.json === true ? 'json' : this.flags.output ?? 'human' }

  /** Settings from defaults < config file < context < environment < flags (global and the command's own). */
  settings (commandFlags: Partial<Record<keyof Settings, unknown>> = {}): ReturnType<typeof loadSettings> {
    if (this.cached != null && Object.keys(commandFlags).length === 0) return this.cached
    const { json: _json, output: _output, config, context: contextFlag, ...globals } = this.flags
    const flags: Partial<Record<keyof Settings, unknown>> = { ...globals, ...commandFlags }
    for (const k of Object.keys(flags) as Array<keyof Settings>) if (flags[k] === undefined) delete flags[k]
    const context = chosenContext({ flag: contextFlag, dataDirGiven: flags.dataDir != null || (process.env.NOVACRON_DATA_DIR ?? '') !== '' })
    this.cached = loadSettings({ flags, configFile: config, context: context ?? undefined })
    return this.cached
  }

  async logger (): Promise<Logger> {
    if (this.cachedLogger == null) {
      const { createLogger } = await import('../log/index.ts')
      this.cachedLogger = createLogger({ level: this.settings().logLevel })
    }
    return this.cachedLogger
  }

  /** The admin client for --node, the context, NOVACRON_NODE, or the node running with this data dir. */
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

  /**
   * Prints the command's result: JSON with --json / --output json, YAML with --output yaml, the rows of
   * `table` with --output table (where a result is a list), otherwise the human rendering.
   */
  print (value: unknown, human?: (value: any) => string, table?: (value: any) => Array<Record<string, unknown>>): void {
    const format = this.output
    if (format === 'yaml' && yaml != null) process.stdout.write(yaml.stringify(value))
    else if (format === 'table' && table != null) process.stdout.write(renderTable(table(value)) + '\n')
    else if (format === 'json' || human == null) process.stdout.write(JSON.stringify(value, null, format === 'json' ? 0 : 2) + '\n')
    else process.stdout.write(human(value) + '\n')
  }
}
