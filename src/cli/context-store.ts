// Named contexts (the kubectl / etcdctl habit): a node's admin URL and token file under a name, kept in
// <conf dir>/contexts.json (mode 0600), with the one `context use` chose. A context's values sit between
// the config file and the environment in the precedence of settings.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { NovacronError, usageError } from '../config/errors.ts'
import { confDir } from '../config/settings.ts'
import { writePrivateFile } from '../node/data-dir.ts'

export const CONTEXTS_FILE = 'contexts.json'
const CONTEXT_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/i

export interface ContextEntry { node: string, tokenFile: string | null }
export interface ContextsFile { version: 1, current: string | null, contexts: Record<string, ContextEntry> }

export const contextsPath = (env: NodeJS.ProcessEnv = process.env): string => join(confDir(env), CONTEXTS_FILE)

export function readContexts (env: NodeJS.ProcessEnv = process.env): ContextsFile {
  const path = contextsPath(env)
  if (!existsSync(path)) return { version: 1, current: null, contexts: {} }
  let parsed: ContextsFile
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as ContextsFile
  } catch (err) {
    throw new NovacronError('config', `contexts file ${path} is not readable JSON: ${(err as Error).message}`)
  }
  if (parsed?.version !== 1 || parsed.contexts == null || typeof parsed.contexts !== 'object') throw new NovacronError('config', `contexts file ${path}: expected { version: 1, current, contexts }`)
  return parsed
}

export function writeContexts (file: ContextsFile, env: NodeJS.ProcessEnv = process.env): void {
  const path = contextsPath(env)
  mkdirSync(confDir(env), { recursive: true, mode: 0o700 })
  // Written aside and renamed, so a crash never leaves half a file.
  writePrivateFile(path + '.tmp', JSON.stringify(file, null, 2) + '\n')
  renameSync(path + '.tmp', path)
}

export function checkContextName (name: string): string {
  if (!CONTEXT_NAME.test(name)) throw usageError(`context name: expected letters, digits, '.', '-' or '_' (at most 63), got ${JSON.stringify(name)}`)
  return name
}

export function addContext (name: string, entry: { node: string, tokenFile?: string | null }, env: NodeJS.ProcessEnv = process.env): ContextsFile {
  const file = readContexts(env)
  file.contexts[checkContextName(name)] = { node: entry.node, tokenFile: entry.tokenFile == null ? null : resolve(entry.tokenFile) }
  // The first context added is the one used, as kubectl does with its first cluster.
  file.current ??= name
  writeContexts(file, env)
  return file
}

export function useContext (name: string, env: NodeJS.ProcessEnv = process.env): ContextsFile {
  const file = readContexts(env)
  if (file.contexts[name] == null) throw usageError(`no context ${JSON.stringify(name)} (known: ${Object.keys(file.contexts).join(', ') || 'none'}; add one with \`novacron context add\`)`)
  file.current = name
  writeContexts(file, env)
  return file
}

/**
 * The context that applies: --context, else NOVACRON_CONTEXT, else the current one. The current one (not
 * named explicitly) is skipped when the command names a data dir, whose own node is then meant.
 */
export function chosenContext (opts: { flag?: string, dataDirGiven: boolean }, env: NodeJS.ProcessEnv = process.env): { name: string, values: { node: string, tokenFile?: string } } | null {
  const explicit = opts.flag ?? (env.NOVACRON_CONTEXT === '' ? undefined : env.NOVACRON_CONTEXT)
  if (explicit == null && opts.dataDirGiven) return null
  if (explicit == null && !existsSync(contextsPath(env))) return null
  const file = readContexts(env)
  const name = explicit ?? file.current
  if (name == null) return null
  const entry = file.contexts[name]
  if (entry == null) throw usageError(`no context ${JSON.stringify(name)} (known: ${Object.keys(file.contexts).join(', ') || 'none'})`)
  return { name, values: { node: entry.node, ...(entry.tokenFile != null ? { tokenFile: entry.tokenFile } : {}) } }
}
