// `novacron completion bash|zsh|fish`: a completion script generated from the command table (every command,
// its subcommands and its flags), so a command added to the table completes without further work.
import type { Command } from 'commander'
import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = typeof SHELLS[number]

interface Node { name: string, summary: string, flags: string[], subcommands: Node[] }

const flagsOf = (cmd: Command): string[] => cmd.options.flatMap(o => [o.long, o.short]).filter((f): f is string => f != null)

function tree (cmd: Command): Node {
  return { name: cmd.name(), summary: cmd.description().split('\n')[0], flags: flagsOf(cmd), subcommands: cmd.commands.map(tree) }
}

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`

function bash (root: Node): string {
  const cases = root.subcommands.map(c => {
    const subs = c.subcommands.map(s => `      ${s.name}) words=${quote(s.flags.join(' '))} ;;`).join('\n')
    return `    ${c.name})
      case "$sub" in
${subs}
      *) words=${quote([...c.subcommands.map(s => s.name), ...c.flags].join(' '))} ;;
      esac ;;`
  }).join('\n')
  return `# bash completion for novacron (novacron completion bash > /etc/bash_completion.d/novacron)
_novacron() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" sub="" words="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      --data-dir|--config|--log-level|--node|--token-file|--context|--output) ((i++)) ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="\${COMP_WORDS[i]}"; elif [[ -z "$sub" ]]; then sub="\${COMP_WORDS[i]}"; fi ;;
    esac
  done
  case "$cmd" in
    "") words=${quote([...root.subcommands.map(c => c.name), ...root.flags].join(' '))} ;;
${cases}
  esac
  if [[ "$cur" == -* ]]; then words="$words ${root.flags.join(' ')}"; fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _novacron novacron
`
}

function zsh (root: Node): string {
  const esc = (s: string): string => s.replace(/[:\\]/g, '\\$&')
  const cases = root.subcommands.map(c => `    ${c.name})
      subs=(${c.subcommands.map(x => quote(`${x.name}:${esc(x.summary)}`)).join(' ')})
      if (( CURRENT == 3 )) && (( \${#subs} > 0 )); then _describe 'subcommand' subs; fi
      compadd -- ${[...c.flags, ...c.subcommands.flatMap(x => x.flags)].filter((f, i, a) => a.indexOf(f) === i).join(' ')} ${root.flags.join(' ')} ;;`).join('\n')
  return `#compdef novacron
# zsh completion for novacron (novacron completion zsh > "\${fpath[1]}/_novacron")
_novacron() {
  local -a commands subs
  commands=(${root.subcommands.map(c => quote(`${c.name}:${esc(c.summary)}`)).join(' ')})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    compadd -- ${root.flags.join(' ')}
    return
  fi
  case "$words[2]" in
${cases}
  esac
}
compdef _novacron novacron
`
}

function fish (root: Node): string {
  const lines = ['# fish completion for novacron (novacron completion fish > ~/.config/fish/completions/novacron.fish)', 'complete -c novacron -f']
  const top = root.subcommands.map(c => c.name).join(' ')
  for (const f of root.flags) lines.push(`complete -c novacron -l ${f.replace(/^--/, '')}`)
  for (const c of root.subcommands) {
    lines.push(`complete -c novacron -n "not __fish_seen_subcommand_from ${top}" -a ${c.name} -d ${quote(c.summary)}`)
    for (const s of c.subcommands) {
      lines.push(`complete -c novacron -n "__fish_seen_subcommand_from ${c.name}; and not __fish_seen_subcommand_from ${c.subcommands.map(x => x.name).join(' ')}" -a ${s.name} -d ${quote(s.summary)}`)
      for (const f of s.flags.filter(x => x.startsWith('--'))) lines.push(`complete -c novacron -n "__fish_seen_subcommand_from ${c.name}; and __fish_seen_subcommand_from ${s.name}" -l ${f.slice(2)}`)
    }
    for (const f of c.flags.filter(x => x.startsWith('--'))) lines.push(`complete -c novacron -n "__fish_seen_subcommand_from ${c.name}" -l ${f.slice(2)}`)
  }
  return lines.join('\n') + '\n'
}

/** The completion script for `shell` from a program that has every command registered in full. */
export function completionScript (program: Command, shell: Shell): string {
  const root = tree(program)
  root.subcommands = root.subcommands.filter(c => c.name !== 'help')
  return shell === 'bash' ? bash(root) : shell === 'zsh' ? zsh(root) : fish(root)
}

export const registerCompletion: Register = (program) => {
  program.command('completion')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', `
Example:
  $ source <(novacron completion bash)
  $ novacron completion zsh > "\${fpath[1]}/_novacron"
  $ novacron completion fish > ~/.config/fish/completions/novacron.fish`)
    .action(async (shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw usageError(`completion: expected bash, zsh or fish, got ${JSON.stringify(shell)}`)
      const { buildProgram } = await import('../main.ts')
      process.stdout.write(completionScript(await buildProgram(process.argv, { all: true }), shell as Shell))
    })
}
