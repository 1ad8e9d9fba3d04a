// `models eval NAME --by-source`: leave-one-source-out through the CLI on a small two-site FTA fixture
// (JSON shape), the verdict per fold, and a usage error where the data has one source.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { judgeFold } from '../../../src/ml/tasks/by-source.ts'

const harness = fileURLToPath(new URL('./helpers/models-cli.ts', import.meta.url))
const fixture = fileURLToPath(new URL('../../fixtures/ml/fta-two-sites', import.meta.url))
const oneSite = fileURLToPath(new URL('../../fixtures/ml/fta-two-sites/..', import.meta.url))

function cli (...args: string[]): { code: number | null, out: any, stderr: string } {
  const r = spawnSync(process.execPath, [harness, ...args], { encoding: 'utf8' })
  let out: any = null
  try { out = JSON.parse(r.stdout) } catch { out = r.stdout }
  return { code: r.status, out, stderr: r.stderr }
}

describe('models eval --by-source', () => {
  it('reliability on two Grid\'5000 sites: one fold per site with the model, its baselines and the verdict', () => {
    const r = cli('models', 'eval', 'reliability', '--by-source', '--data', fixture, '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(Object.keys(r.out).sort(), ['data', 'folds', 'lowerIsBetter', 'metric', 'model', 'seed', 'sourceKind'])
    assert.equal(r.out.model, 'reliability')
    assert.deepEqual(r.out.folds.map((f: any) => f.source).sort(), ['site2', 'site7'])
    for (const f of r.out.folds) {
      assert.deepEqual(Object.keys(f).sort(), ['baselines', 'bestBaseline', 'groups', 'model', 'modelWins', 'samples', 'source'])
      assert.equal(f.groups, 4)
      assert.ok(f.samples > 0)
      for (const k of ['rocAuc', 'brier', 'meanPredicted', 'positiveRate', 'ece']) assert.equal(typeof f.model[k], 'number', k)
      assert.deepEqual(Object.keys(f.baselines).sort(), ['failureRateRule', 'logisticRegression'])
      assert.equal(typeof f.modelWins, 'boolean')
    }
  })

  it('a directory with no archive, or a bad seed, is a usage error (exit 2)', () => {
    assert.equal(cli('models', 'eval', 'reliability', '--by-source', '--data', oneSite, '--json').code, 2)
    assert.equal(cli('models', 'eval', 'reliability', '--by-source', '--seed', 'x', '--data', fixture, '--json').code, 2)
  })

  it('judges a fold by the best baseline, in the direction the metric runs', () => {
    const fold = { source: 's', groups: 1, samples: 1, model: { mape: 0.3 }, baselines: { a: { mape: 0.2 }, b: { mape: 0.5 } } }
    assert.deepEqual([judgeFold(fold, m => m.mape as number, true).bestBaseline, judgeFold(fold, m => m.mape as number, true).modelWins], ['a', false])
    assert.deepEqual([judgeFold(fold, m => m.mape as number, false).bestBaseline, judgeFold(fold, m => m.mape as number, false).modelWins], ['b', false])
    assert.equal(judgeFold({ ...fold, model: { mape: 0.1 } }, m => m.mape as number, true).modelWins, true)
  })
})
