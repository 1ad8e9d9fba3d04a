// Contexts: stored under the conf dir, chosen by --context / NOVACRON_CONTEXT / `context use`, and applied
// between the config file and the environment: defaults < config < context < env < flags.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addContext, chosenContext, contextsPath, readContexts, useContext } from '../../../src/cli/context-store.ts'
import { loadSettings } from '../../../src/config/settings.ts'
import type { NovacronError } from '../../../src/config/errors.ts'

function withConf (fn: (env: NodeJS.ProcessEnv, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'nc-ctx-'))
  try { fn({ XDG_CONFIG_HOME: dir }, dir) } finally { rmSync(dir, { recursive: true, force: true }) }
}

test('contexts live in $XDG_CONFIG_HOME/novacron/contexts.json (0600); the first added is current', () => withConf((env, dir) => {
  assert.equal(contextsPath(env), join(dir, 'novacron', 'contexts.json'))
  addContext('prod', { node: 'http://10.0.0.1:7401', tokenFile: 'prod.token' }, env)
  addContext('staging', { node: 'http://10.0.0.2:7401' }, env)
  const file = readContexts(env)
  assert.equal(file.current, 'prod')
  assert.equal(file.contexts.prod.tokenFile, join(process.cwd(), 'prod.token'), 'token paths are stored absolute')
  assert.equal(statSync(contextsPath(env)).mode & 0o777, 0o600)
  useContext('staging', env)
  assert.equal(readContexts(env).current, 'staging')
  assert.throws(() => useContext('nope', env), (e: NovacronError) => e.kind === 'usage' && /no context "nope"/.test(e.message))
  assert.throws(() => addContext('bad name!', { node: 'http://x:1' }, env), (e: NovacronError) => e.kind === 'usage')
}))

test('--context beats NOVACRON_CONTEXT beats the current one; a data dir on the command line skips the current one', () => withConf((env) => {
  addContext('a', { node: 'http://127.0.0.1:1001' }, env)
  addContext('b', { node: 'http://127.0.0.1:1002' }, env)
  assert.equal(chosenContext({ dataDirGiven: false }, env)?.name, 'a')
  assert.equal(chosenContext({ dataDirGiven: false }, { ...env, NOVACRON_CONTEXT: 'b' })?.name, 'b')
  assert.equal(chosenContext({ flag: 'a', dataDirGiven: false }, { ...env, NOVACRON_CONTEXT: 'b' })?.name, 'a')
  assert.equal(chosenContext({ dataDirGiven: true }, env), null)
  assert.equal(chosenContext({ flag: 'b', dataDirGiven: true }, env)?.name, 'b')
  assert.throws(() => chosenContext({ flag: 'zzz', dataDirGiven: false }, env), (e: NovacronError) => e.kind === 'usage')
}))

test('a broken contexts file is a config error, not a crash', () => withConf((env) => {
  addContext('a', { node: 'http://127.0.0.1:1001' }, env)
  writeFileSync(contextsPath(env), '{ nope')
  assert.throws(() => chosenContext({ dataDirGiven: false }, env), (e: NovacronError) => e.kind === 'config')
}))

test('precedence: defaults < config file < context < environment < flags', () => withConf((env, dir) => {
  const config = join(dir, 'config.json')
  writeFileSync(config, JSON.stringify({ node: 'http://127.0.0.1:1', tokenFile: '/from/config', logLevel: 'warn', admin: '127.0.0.1:7000' }))
  const context = { name: 'c', values: { node: 'http://127.0.0.1:2', tokenFile: '/from/context' } }
  const base = { flags: { dataDir: dir }, configFile: config, env: { ...env } }
  // defaults only where nobody says otherwise
  assert.equal(loadSettings({ ...base }).metrics, null)
  // config over defaults
  assert.equal(loadSettings({ ...base }).admin, '127.0.0.1:7000')
  // context over config
  const s1 = loadSettings({ ...base, context })
  assert.deepEqual([s1.node, s1.tokenFile, s1.logLevel], ['http://127.0.0.1:2', '/from/context', 'warn'])
  // environment over context
  const s2 = loadSettings({ ...base, context, env: { ...env, NOVACRON_NODE: 'http://127.0.0.1:3' } })
  assert.deepEqual([s2.node, s2.tokenFile], ['http://127.0.0.1:3', '/from/context'])
  // flags over everything
  const s3 = loadSettings({ ...base, context, env: { ...env, NOVACRON_NODE: 'http://127.0.0.1:3' }, flags: { dataDir: dir, node: 'http://127.0.0.1:4' } })
  assert.equal(s3.node, 'http://127.0.0.1:4')
  // a bad value in a context names the context and is a config error
  assert.throws(() => loadSettings({ ...base, context: { name: 'broken', values: { node: 'ftp://x' } } }), (e: NovacronError) => e.kind === 'config' && /context broken: key "node"/.test(e.message))
  assert.ok(readFileSync(config, 'utf8').length > 0)
}))
