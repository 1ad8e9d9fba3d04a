// Commands of CLI.md whose capability is not built yet: they exist, explain themselves, and exit 1.
import type { Register } from '../main.ts'
import { failure } from '../../config/errors.ts'

const PLANNED: Array<[string, string]> = [
]

export const registerNotYetAvailable: Register = (program) => {
  for (const [name, what] of PLANNED) {
    program.command(name)
      .description(`${what} (not available in this version)`)
      .allowUnknownOption()
      .argument('[args...]')
      .addHelpText('after', `\nExample:\n  $ novacron ${name} --help    # says it is not available in this version`)
      .action(() => { throw failure(`\`novacron ${name}\` is not available in this version`) })
  }
}
