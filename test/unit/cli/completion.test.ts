// Completion scripts come from the command table: each shell's script names every command of the table
// and every subcommand, and the bash one is valid bash.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { buildProgram } from '../../../src/cli/main.ts'
import { COMMANDS } from '../../../src/cli/commands/index.ts'
import { SHELLS, completionScript } from '../../../src/cli/commands/completion.ts'

test('the bash, zsh and fish scripts name every command and subcommand of the table', async () => {
  const program = await buildProgram(['node', 'novacron'], { all: true })
  const subcommands = program.commands.flatMap(c => c.commands.map(s => [c.name(), s.name()] as const))
  assert.ok(subcommands.some(([c, s]) => c === 'kv' && s === 'put'))
  for (const shell of SHELLS) {
    const script = completionScript(program, shell)
    for (const { name } of COMMANDS) assert.match(script, new RegExp(`\\b${name}\\b`), `${shell} names ${name}`)
    for (const [, s] of subcommands) assert.ok(script.includes(s), `${shell} names subcommand ${s}`)
    assert.ok(script.includes(shell === 'fish' ? '-l data-dir' : '--data-dir'), `${shell} completes global flags`)
  }
  const bash = spawnSync('bash', ['-n'], { input: completionScript(program, 'bash') })
  assert.equal(bash.status, 0, String(bash.stderr))
  // zsh is not installed here; its script uses only syntax bash shares, so bash -n still catches quoting.
  const zsh = spawnSync('bash', ['-n'], { input: completionScript(program, 'zsh') })
  assert.equal(zsh.status, 0, String(zsh.stderr))
})

test('`novacron completion` refuses an unknown shell with a usage error', async () => {
  const r = spawnSync(process.execPath, [new URL('../../../bin/novacron.js', import.meta.url).pathname, 'completion', 'tcsh'], { encoding: 'utf8' })
  assert.equal(r.status, 2)
  assert.match(r.stderr, /expected bash, zsh or fish/)
})
