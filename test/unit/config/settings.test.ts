import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadSettings } from '../../../src/config/settings.ts'
import type { NovacronError } from '../../../src/config/errors.ts'

function withConfig (content: unknown): { dir: string, file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nc-settings-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return { dir, file }
}

test('precedence: defaults < config file < environment < flags', () => {
  const { dir, file } = withConfig({ logLevel: 'warn', admin: '127.0.0.1:9001', metrics: '127.0.0.1:9100', mdns: true })
  const env = { NOVACRON_ADMIN: '127.0.0.1:9002', NOVACRON_LOG_LEVEL: 'debug' }
  const s = loadSettings({ flags: { dataDir: dir, logLevel: 'error' }, env, configFile: file })
  assert.equal(s.logLevel, 'error', 'flag beats env and file')
  assert.equal(s.admin, '127.0.0.1:9002', 'env beats file')
  assert.equal(s.metrics, '127.0.0.1:9100', 'file beats default')
  assert.equal(s.mdns, true)
  assert.deepEqual(s.listen, [], 'default: listen where genesis says')
  assert.equal(s.dataDir, dir)
})

test('the data dir config.json is read without --config', () => {
  const { dir } = withConfig({ admin: '127.0.0.1:9555' })
  const s = loadSettings({ flags: { dataDir: dir }, env: {} })
  assert.equal(s.admin, '127.0.0.1:9555')
  assert.equal(s.configFile, join(dir, 'config.json'))
})

test('default data dir follows XDG_DATA_HOME and the cluster name', () => {
  const s = loadSettings({ flags: { cluster: 'prod' }, env: { XDG_DATA_HOME: '/srv/data' }, exists: () => false })
  assert.equal(s.dataDir, '/srv/data/novacron/prod')
})

test('a bad value names its key and source, with the right exit kind', () => {
  const { file } = withConfig({ admin: 'nonsense' })
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: file }), (err: NovacronError) =>
    err.kind === 'config' && err.message.includes('key "admin"') && err.message.includes(file))
  assert.throws(() => loadSettings({ flags: {}, env: { NOVACRON_LOG_LEVEL: 'loud' }, exists: () => false }), (err: NovacronError) =>
    err.kind === 'config' && err.message.includes('NOVACRON_LOG_LEVEL'))
  assert.throws(() => loadSettings({ flags: { listen: ['tcp://x'] }, env: {}, exists: () => false }), (err: NovacronError) =>
    err.kind === 'usage' && err.message.includes('--listen'))
  assert.throws(() => loadSettings({ flags: { node: 'ftp://x' }, env: {}, exists: () => false }), (err: NovacronError) => err.kind === 'usage')
})

test('unknown keys and broken JSON in the config file are config errors', () => {
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: withConfig({ adminn: 'x' }).file }), /unknown key "adminn"/)
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: withConfig('{ not json').file }), (err: NovacronError) => err.kind === 'config' && /not valid JSON/.test(err.message))
  assert.throws(() => loadSettings({ flags: {}, env: {}, configFile: '/nonexistent/config.json' }), (err: NovacronError) => err.kind === 'config' && /ENOENT/.test(err.message))
})

test('list values from the environment are comma separated', () => {
  const s = loadSettings({ flags: {}, env: { NOVACRON_BOOTSTRAP: '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWabc, /ip4/127.0.0.1/tcp/2' }, exists: () => false })
  assert.deepEqual(s.bootstrap, ['/ip4/127.0.0.1/tcp/1/p2p/12D3KooWabc', '/ip4/127.0.0.1/tcp/2'])
})
