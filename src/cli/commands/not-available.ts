// Commands of CLI.md whose capability is not built yet: they exist, explain themselves, and exit 1.
import type { Register } from '../main.ts'
import { failure } from '../../config/errors.ts'

/** The registration of a command CLI.md names whose capability is not built yet. */
export function registerNotYetAvailable (name: string): Register {
  return (program) => {
    program.command(name)
      .allowUnknownOption()
      .argument('[args...]')
      .addHelpText('after', `\nExample:\n  $ novacron ${name} --help    # says it is not available in this version`)
      .action(() => { throw failure(`\`novacron ${name}\` is not available in this version`) })
  }
}
