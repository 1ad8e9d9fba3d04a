// onnxruntime-node's own telemetry (from 1.29: an uploader to Microsoft with an offline cache and a device id
// under ~/.cache/Microsoft) stays off: a process that loads and runs a shipped model through the registry,
// with a fresh HOME and none of the CI variables onnxruntime also treats as an opt-out, writes nothing there.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const registryUrl = new URL('../../../src/ml/registry.ts', import.meta.url).href

test('loading and running a model leaves onnxruntime telemetry off: no uploader cache, no device id', () => {
  const home = mkdtempSync(join(tmpdir(), 'nc-ort-home-'))
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home }
    for (const k of ['NODE_TEST_CONTEXT', 'CI', 'XDG_CACHE_HOME', 'ORT_DISABLE_TELEMETRY', 'TF_BUILD', 'GITHUB_ACTIONS']) delete env[k]
    const script = `
      const { ModelRegistry } = await import(${JSON.stringify(registryUrl)})
      const r = new ModelRegistry()
      const entry = r.list()[0]
      const shape = entry.inputs[0].shape.map((d) => typeof d === 'number' ? d : 1)
      const out = await r.run(entry.name, { [entry.inputs[0].name]: { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), dims: shape } })
      await r.close()
      process.stdout.write(JSON.stringify({ model: entry.name, outputs: Object.keys(out), env: process.env.ORT_DISABLE_TELEMETRY }))`
    const file = join(home, 'run-model.mjs')
    writeFileSync(file, script)
    const run = spawnSync(process.execPath, [file], { env, encoding: 'utf8', cwd: resolve(fileURLToPath(new URL('../../..', import.meta.url))) })
    assert.equal(run.status, 0, run.stderr)
    const result = JSON.parse(run.stdout) as { model: string, outputs: string[], env: string }
    assert.ok(result.outputs.length > 0, `model ${result.model} ran`)
    assert.equal(result.env, '1')
    assert.equal(existsSync(join(home, '.cache', 'Microsoft')), false, `onnxruntime wrote ${existsSync(join(home, '.cache')) ? readdirSync(join(home, '.cache')).join(', ') : ''} under HOME`)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})
