// `novacron models ...` through a child process: JSON shapes of CLI.md and exit code 2 on bad input.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { readManifest } from '../../../src/ml/manifest.ts'

const harness = fileURLToPath(new URL('./helpers/models-cli.ts', import.meta.url))
function cli (...args: string[]): { code: number | null, out: any, stderr: string } {
  const r = spawnSync(process.execPath, [harness, ...args], { encoding: 'utf8' })
  let out: any = null
  try { out = JSON.parse(r.stdout) } catch { out = r.stdout }
  return { code: r.status, out, stderr: r.stderr }
}

const reliabilityInput = { hoursSinceLastFailure: 30, uptimeHours: 30, failures1d: 0, failures7d: 2, failures30d: 5, mtbfHours: 120, downFraction7d: 0.01, lastOutageHours: 0.1, historyDays: 200 }
const shipped = Object.keys(readManifest().models)

describe('models CLI', () => {
  it('list --json gives [{ name, version, sha256, inputs, outputs }]', () => {
    const r = cli('models', 'list', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.out.map((m: any) => m.name).sort(), shipped.slice().sort())
    for (const m of r.out) assert.deepEqual(Object.keys(m), ['name', 'version', 'sha256', 'inputs', 'outputs'])
  })

  it('info NAME --json adds the card\'s held-out table', () => {
    const r = cli('models', 'info', 'reliability', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.out.name, 'reliability')
    assert.match(r.out.heldOut, /ROC-AUC/)
  })

  it('predict reliability gives { model, output: { pFail } }', () => {
    const r = cli('models', 'predict', 'reliability', '--input', JSON.stringify(reliabilityInput), '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.out.model, 'reliability')
    assert.ok(r.out.output.pFail > 0 && r.out.output.pFail < 1)
  })

  const bad: Array<[string, string[], RegExp]> = [
    ['unknown model', ['models', 'predict', 'nope', '--input', '{}'], /unknown model/],
    ['invalid JSON', ['models', 'predict', 'reliability', '--input', '{nope'], /not valid JSON/],
    ['missing field', ['models', 'predict', 'reliability', '--input', JSON.stringify({ ...reliabilityInput, mtbfHours: undefined })], /mtbfHours/],
    ['wrong type', ['models', 'predict', 'reliability', '--input', JSON.stringify({ ...reliabilityInput, failures7d: '2' })], /failures7d must be a number/],
    ['NaN', ['models', 'predict', 'reliability', '--input', '{"hoursSinceLastFailure":NaN}'], /not valid JSON/],
    ['negative', ['models', 'predict', 'reliability', '--input', JSON.stringify({ ...reliabilityInput, uptimeHours: -1 })], />= 0/],
    ['array of numbers', ['models', 'predict', 'reliability', '--input', '[1,2,3]'], /must be an object/],
    ['unknown model for eval', ['models', 'eval', 'nope', '--data', '.'], /unknown model/]
  ]
  for (const [what, args, message] of bad) {
    it(`predict with ${what}: exit 2 and a JSON error`, () => {
      const r = cli(...args, '--json')
      assert.equal(r.code, 2, `${r.stderr} ${JSON.stringify(r.out)}`)
      assert.equal(r.out.error.code, 'usage')
      assert.match(r.out.error.message, message)
    })
  }
})
