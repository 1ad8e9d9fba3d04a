// The `novacron` program: global flags, one registration per command group, and the single place where
// failures become one stderr line (or a JSON error with --json) and an exit code from the CLI.md table.
import { Command, CommanderError, Option } from 'commander'
import { NovacronError, describeError } from '../config/errors.ts'
import { LOG_LEVELS } from '../config/settings.ts'
import { ExitCode } from './exit-codes.ts'
import { CliContext, type GlobalFlags } from './context.ts'
import { registerInit } from './commands/init.ts'
import { registerNode } from './commands/node.ts'
import { registerGenesis } from './commands/genesis.ts'
import { registerDevnet } from './commands/devnet.ts'
import { registerStatus } from './commands/status.ts'
import { registerKv } from './commands/kv.ts'
import { registerTx } from './commands/tx.ts'
import { registerLog } from './commands/log.ts'
import { registerBench } from './commands/bench.ts'
import { registerModels } from './commands/models.ts'
import { registerTransfer } from './commands/transfer.ts'
import { registerChaos } from './commands/chaos.ts'
import { registerNotYetAvailable } from './commands/not-available.ts'
import { VERSION } from './version.ts'

export type Register = (program: Command, context: () => CliContext) => void

export function buildProgram (): Command {
  const program = new Command('novacron')
  let ctx: CliContext | null = null
  const context = (): CliContext => (ctx ??= new CliContext(program.opts<GlobalFlags>()))
  program
    .description('NovaCron: a Byzantine-fault-tolerant cluster node (libp2p mesh, BFT consensus, replicated state)')
    .version(VERSION, '--version', 'print the version and exit')
    .option('--json', 'machine output on stdout: one JSON document (logs stay on stderr)')
    .option('--data-dir <dir>', 'node data dir (default: $XDG_DATA_HOME/novacron/<cluster>)')
    .option('--config <file>', 'config file (default: <data-dir>/config.json when present)')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
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
  const registrations: Register[] = [registerInit, registerNode, registerGenesis, registerDevnet, registerStatus, registerKv, registerTx, registerLog, registerBench, registerModels, registerTransfer, registerChaos, registerNotYetAvailable]
  for (const register of registrations) register(program, context)
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
  const program = buildProgram()
  const wantsJson = argv.includes('--json')
  try {
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
