// A stand-in for bin/novacron until src/cli/main.ts registers `models`: the same global flags and the same
// error -> exit-code mapping, with only registerModels. Run as a child process to observe exit codes.
import { Command, CommanderError } from 'commander'
import { NovacronError, describeError } from '../../../../src/config/errors.ts'
import { CliContext, type GlobalFlags } from '../../../../src/cli/context.ts'
import { ExitCode } from '../../../../src/cli/exit-codes.ts'
import { registerModels } from '../../../../src/cli/commands/models.ts'

const program = new Command('novacron').option('--json').option('--data-dir <dir>')
let ctx: CliContext | null = null
registerModels(program, () => (ctx ??= new CliContext(program.opts<GlobalFlags>())))
program.exitOverride()
program.commands.forEach(function deep (c: Command) { c.exitOverride(); c.commands.forEach(deep) })
const json = process.argv.includes('--json')
try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    if (json) process.stdout.write(JSON.stringify({ error: { code: 'usage', message: err.message } }) + '\n')
    process.exitCode = err.code === 'commander.helpDisplayed' ? 0 : ExitCode.usage
  } else {
    const kind = err instanceof NovacronError ? err.kind : 'failure'
    if (json) process.stdout.write(JSON.stringify({ error: { code: kind, message: describeError(err) } }) + '\n')
    process.stderr.write(`novacron: ${describeError(err)}\n`)
    process.exitCode = ExitCode[kind]
  }
}
