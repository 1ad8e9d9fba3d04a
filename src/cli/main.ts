// The `novacron` program: global flags, the command table (commands/index.ts, loaded per command), and the
// single place where failures become one stderr line (or a JSON error with --json) and a CLI.md exit code.
import { Command, CommanderError, Option } from 'commander'
import { NovacronError, describeError } from '../config/errors.ts'
import { LOG_LEVELS } from '../config/settings.ts'
import { ExitCode } from './exit-codes.ts'
import type { CliContext, GlobalFlags } from './context.ts'
import { COMMANDS } from './commands/index.ts'
import { VERSION } from './version.ts'

export type Register = (program: Command, context: () => CliContext) => void

export const OUTPUT_FORMATS = ['json', 'table', 'yaml'] as const
export type OutputFormat = typeof OUTPUT_FORMATS[number]

/** Global flags that take a value: the word after one is not a command name. */
const VALUE_FLAGS = new Set(['--data-dir', '--config', '--log-level', '--node', '--token-file', '--context', '--output'])

/** The top-level command named in `args` (argv without node and script), or null (`--help`, `--version`). */
export function selectedCommand (args: readonly string[]): string | null {
  let help = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--') return args[i + 1] ?? null
    if (a.startsWith('-')) {
      if (VALUE_FLAGS.has(a)) i++
      continue
    }
    if (a === 'help' && !help) { help = true; continue }
    return a
  }
  return null
}

/**
 * The program with every command of the table: the one `argv` names is registered in full (its module
 * imported), the others only by name and summary, which is all `--help` and an unknown-command error
 * need. `all` registers every command in full (for `completion`).
 */
export async function buildProgram (argv: readonly string[] = process.argv, { all = false } = {}): Promise<Command> {
  const program = new Command('novacron')
  const selected = all ? null : selectedCommand(argv.slice(2))
  // What a command gets is loaded only when a command runs: `--version` and `--help` need none of it.
  const { CliContext, prepareOutput } = selected != null || all ? await import('./context.ts') : { CliContext: null, prepareOutput: null }
  let ctx: CliContext | null = null
  const context = (): CliContext => {
    if (CliContext == null) throw new Error('no command context without a command')
    return (ctx ??= new CliContext(program.opts<GlobalFlags>()))
  }
  program
    .description('NovaCron: a Byzantine-fault-tolerant cluster node (libp2p mesh, BFT consensus, replicated state)')
    .version(VERSION, '--version', 'print the version and exit')
    .option('--json', 'machine output on stdout: one JSON document (logs stay on stderr); the same as --output json')
    .addOption(new Option('--output <format>', 'output format: json, table (where the result is a list) or yaml').choices(OUTPUT_FORMATS))
    .option('--data-dir <dir>', 'node data dir (default: $XDG_DATA_HOME/novacron/<cluster>)')
    .option('--config <file>', 'config file (default: <data-dir>/config.json when present)')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .option('--context <name>', 'a context of `novacron context add` (default: the one `context use` chose, or NOVACRON_CONTEXT)')
    .option('--node <url>', 'admin API of the node to talk to (default: the node of --data-dir, or NOVACRON_NODE)')
    .option('--token-file <file>', 'admin token file (default: <data-dir>/admin.token)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', `
Examples:
  $ novacron devnet up --nodes 4          start a local 4-node devnet
  $ novacron init --cluster prod          create this host's key and admin token
  $ novacron status --json                one status snapshot of the local node

Exit codes: 0 ok, 1 failure, 2 usage, 3 config, 4 node unreachable, 5 commit timeout, 6 unauthorized,
130 interrupted, 143 terminated.`)
  if (prepareOutput != null) await prepareOutput(argv)
  const loaded = new Set<Register>()
  for (const entry of COMMANDS) {
    if (all || entry.name === selected) {
      const register = await entry.load()
      if (!loaded.has(register)) register(program, context)
      loaded.add(register)
      program.commands.find(c => c.name() === entry.name)?.description(entry.summary)
    } else {
      program.command(entry.name).description(entry.summary)
    }
  }
  program.commands.forEach(function exitOverrideDeep (cmd: Command) {
    cmd.exitOverride()
    cmd.commands.forEach(exitOverrideDeep)
  })
  program.exitOverride()
  return program
}

const USAGE_ERRORS = new Set(['commander.unknownOption', 'commander.unknownCommand', 'commander.missingArgument', 'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue', 'commander.invalidArgument', 'commander.excessArguments', 'commander.conflictingOption'])

export async function main (argv: string[]): Promise<void> {
  // `novacron ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err })
  const wantsJson = argv.includes('--json') || argv.includes('--output=json') || argv.some((a, i) => a === '--output' && argv[i + 1] === 'json')
  try {
    const program = await buildProgram(argv)
    if (argv.length <= 2) { program.outputHelp(); process.exitCode = ExitCode.usage; return }
    await program.parseAsync(argv)
  } catch (err) {
    process.exitCode = report(err, wantsJson)
  }
}

function report (err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok
    // Commander already printed its message to stderr.
    const code = USAGE_ERRORS.has(err.code) ? ExitCode.usage : ExitCode.failure
    if (json) process.stdout.write(JSON.stringify({ error: { code: 'usage', message: err.message.replace(/^error: /, '') } }) + '\n')
    return code
  }
  const kind = err instanceof NovacronError ? err.kind : 'failure'
  const message = describeError(err)
  if (json) process.stdout.write(JSON.stringify({ error: { code: kind, message } }) + '\n')
  process.stderr.write(`novacron: ${message}\n`)
  if (!(err instanceof NovacronError) && process.env.NOVACRON_DEBUG === '1') process.stderr.write(String((err as Error)?.stack) + '\n')
  return ExitCode[kind]
}
