// A short command loads only what it needs: `--version` and `kv get` (a thin admin client) must not load
// libp2p, onnxruntime, Ink/React, the logger or fetch (undici), and stay within a small number of modules.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { selectedCommand } from '../../../src/cli/main.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const HEAVY = [/@libp2p|\/libp2p\//, /onnxruntime/, /\/ink\/|\/react\//, /\/pino/, /undici/, /@tensorflow/]

function modulesLoadedBy (args: string[]): { code: number | null, modules: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'nc-startup-'))
  try {
    const trace = join(dir, 'modules.txt')
    const r = spawnSync(process.execPath, ['--import', join(root, 'test/helpers/module-trace.ts'), join(root, 'bin/novacron.js'), ...args], {
      encoding: 'utf8', env: { ...process.env, NOVACRON_MODULE_TRACE: trace, XDG_CONFIG_HOME: dir }
    })
    return { code: r.status, modules: readFileSync(trace, 'utf8').trim().split('\n') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function assertLight (modules: string[], maxFiles: number): void {
  const files = modules.filter(m => m.startsWith('file:'))
  for (const heavy of HEAVY) assert.deepEqual(modules.filter(m => heavy.test(m)), [], `loaded ${heavy}`)
  assert.ok(files.length <= maxFiles, `${files.length} files loaded (at most ${maxFiles}):\n${files.join('\n')}`)
}

test('--version loads no libp2p, onnxruntime, Ink, logger or fetch, and few modules', () => {
  const r = modulesLoadedBy(['--version'])
  assert.equal(r.code, 0)
  assertLight(r.modules, 16)
  // The command modules themselves stay unloaded: only the table is read.
  assert.deepEqual(r.modules.filter(m => /src\/cli\/commands\/(?!index)/.test(m)), [])
})

test('kv get loads only its own command module and the admin client', () => {
  // Port 9 (discard) is closed on loopback: the command fails fast with exit 4, after loading what it needs.
  const r = modulesLoadedBy(['kv', 'get', 'some/key', '--node', 'http://127.0.0.1:9'])
  assert.equal(r.code, 4)
  assertLight(r.modules, 24)
  assert.deepEqual(r.modules.filter(m => /src\/cli\/commands\/(?!index)/.test(m)).map(m => m.replace(/.*\//, '')), ['kv.ts'])
  assert.ok(r.modules.some(m => m.endsWith('src/api/client.ts')))
})

test('the command is found past global flags and their values', () => {
  assert.equal(selectedCommand(['--data-dir', 'kv', 'status']), 'status')
  assert.equal(selectedCommand(['--json', 'kv', 'get', 'x']), 'kv')
  assert.equal(selectedCommand(['--output', 'yaml', 'peers']), 'peers')
  assert.equal(selectedCommand(['help', 'devnet']), 'devnet')
  assert.equal(selectedCommand(['--version']), null)
  assert.equal(selectedCommand(['--node=http://x', 'health']), 'health')
  assert.equal(selectedCommand([]), null)
})
