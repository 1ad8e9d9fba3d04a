// `novacron models ...` through a child process: JSON shapes of CLI.md and exit code 2 on bad input.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dataSet } from '../../helpers/data.ts'
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

  it('predict consensus and bandwidth give { model, output } with the CLI.md fields', () => {
    const c = cli('models', 'predict', 'consensus', '--input', JSON.stringify({ protocol: '3-chain', nodes: 10, faults: 0, rateTxS: 20000 }), '--json')
    assert.equal(c.code, 0, c.stderr)
    assert.ok(c.out.output.latencyMs > 0)
    const b = cli('models', 'predict', 'bandwidth', '--input', JSON.stringify({ history: [{ mbps: 5.1, rttMs: 40 }, { mbps: 4.8, rttMs: 42 }] }), '--json')
    assert.equal(b.code, 0, b.stderr)
    assert.ok(b.out.output.mbps > 0)
  })

  const bench = dataSet('consensus-bench/hotstuff-aws')
  it('train --quick --out DIR writes the model, its manifest entry and card', { skip: bench.skip }, () => {
    const out = mkdtempSync(join(tmpdir(), 'novacron-train-'))
    const r = cli('models', 'train', 'consensus', '--quick', '--out', out, '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.ok(existsSync(join(out, 'consensus.onnx')) && existsSync(join(out, 'consensus.md')))
    assert.equal(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).models.consensus.sha256, r.out.sha256)
  })

  it('eval with a missing data directory is a usage error', () => {
    const r = cli('models', 'eval', 'consensus', '--data', '/nonexistent/dir', '--json')
    assert.equal(r.code, 2)
  })

  const bad: Array<[string, string[], RegExp]> = [
    ['unknown model', ['models', 'predict', 'nope', '--input', '{}'], /unknown model/],
    ['invalid JSON', ['models', 'predict', 'reliability', '--input', '{nope'], /not valid JSON/],
    ['missing field', ['models', 'predict', 'reliability', '--input', JSON.stringify({ ...reliabilityInput, mtbfHours: undefined })], /mtbfHours/],
    ['wrong type', ['models', 'predict', 'reliability', '--input', JSON.stringify({ ...reliabilityInput, failures7d: '2' })], /failures7d must be a number/],
    ['NaN', ['models', 'predict', 'reliability', '--input', '{"hoursSinceLastFailure":NaN}'], /not valid JSON/],
    ['negative', ['models', 'predict', 'reliability', '--input', JSON.stringify({ ...reliabilityInput, uptimeHours: -1 })], />= 0/],
    ['array of numbers', ['models', 'predict', 'reliability', '--input', '[1,2,3]'], /must be an object/],
    ['unknown model for eval', ['models', 'eval', 'nope', '--data', '.'], /unknown model/],
    ['bandwidth: wrong history type', ['models', 'predict', 'bandwidth', '--input', '{"history":[{"mbps":"fast"}]}'], /mbps must be a number/],
    ['bandwidth: empty history', ['models', 'predict', 'bandwidth', '--input', '{"history":[]}'], /at least one sample/],
    ['compression: missing file', ['models', 'predict', 'compression', '--input', '{"file":"/nonexistent","bandwidthMbps":10,"rttMs":5}'], /not a readable file/],
    ['consensus: unknown protocol', ['models', 'predict', 'consensus', '--input', '{"protocol":"raft","nodes":4,"faults":0,"rateTxS":1}'], /protocol must be one of/]
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
