// `novacron context add|use|list`: named nodes to talk to (admin URL and token file), kept in the user's
// conf dir; `--context NAME` on any command, or the one `context use` chose, supplies --node/--token-file.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'
import { addContext, contextsPath, readContexts, useContext, type ContextsFile } from '../context-store.ts'

/** What `context list` (and add/use) print: `{ current, file, contexts: [{ name, node, tokenFile, current }] }`. */
export function contextsJson (file: ContextsFile): { current: string | null, file: string, contexts: Array<{ name: string, node: string, tokenFile: string | null, current: boolean }> } {
  return {
    current: file.current,
    file: contextsPath(),
    contexts: Object.entries(file.contexts).sort(([a], [b]) => a.localeCompare(b)).map(([name, c]) => ({ name, node: c.node, tokenFile: c.tokenFile, current: name === file.current }))
  }
}

const rows = (r: ReturnType<typeof contextsJson>): Array<Record<string, unknown>> => r.contexts.map(c => ({ current: c.current ? '*' : '', name: c.name, node: c.node, tokenFile: c.tokenFile }))

export const registerContext: Register = (program, context) => {
  const cmd = program.command('context')

  cmd.command('add')
    .description('add (or replace) a named context: the admin URL of a node and its token file')
    .argument('<name>')
    .addHelpText('after', `
--node URL (required) is the admin API of the node; --token-file F its admin token (a copy of the node's
admin.token). The first context added becomes the current one. Contexts live in $XDG_CONFIG_HOME/novacron/contexts.json.

Example:
  $ novacron context add prod-1 --node http://10.0.0.1:7401 --token-file ~/.novacron/prod-1.token
  $ novacron --context prod-1 status`)
    .action((name: string, _opts: unknown, sub: { optsWithGlobals: () => Record<string, unknown> }) => {
      const ctx = context()
      // --node and --token-file are the global flags: here they name what the context stores.
      const all = sub.optsWithGlobals()
      if (all.node == null) throw usageError('context add needs --node URL (the admin API of the node)')
      const node = String(all.node)
      try { const u = new URL(node); if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme') } catch { throw usageError(`--node: expected an http(s) URL like http://127.0.0.1:7401, got ${JSON.stringify(node)}`) }
      const tokenFile = all.tokenFile as string | undefined
      if (tokenFile != null && !existsSync(resolve(tokenFile))) throw usageError(`--token-file ${tokenFile}: no such file`)
      const r = contextsJson(addContext(name, { node: node.replace(/\/+$/, ''), tokenFile }))
      ctx.print(r, x => `context ${name} -> ${node}${x.current === name ? ' (current)' : ''}`)
    })

  cmd.command('use')
    .description('make NAME the context every command uses unless told otherwise')
    .argument('<name>')
    .addHelpText('after', '\nExample:\n  $ novacron context use prod-1')
    .action((name: string) => {
      const ctx = context()
      const r = contextsJson(useContext(name))
      ctx.print(r, () => `using context ${name}`)
    })

  cmd.command('list')
    .description('the contexts, the current one marked *')
    .addHelpText('after', '\nExample:\n  $ novacron context list --output table')
    .action(() => {
      const ctx = context()
      const r = contextsJson(readContexts())
      ctx.print(r, x => x.contexts.length === 0 ? '(no contexts; add one with `novacron context add NAME --node URL`)' : rows(x).map(c => `${c.current === '*' ? '*' : ' '} ${String(c.name).padEnd(16)} ${String(c.node)}${c.tokenFile != null ? `  token ${String(c.tokenFile)}` : ''}`).join('\n'), rows)
    })
}
