// `novacron bench --fl` for real on the small fixtures: every policy in the JSON summary, --out written,
// and bad flags are usage errors.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanup, cli, json, tempDir } from '../../e2e/helpers.ts'

after(() => cleanup())
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'fl-bandwidth')

test('bench --fl on fixtures: a summary per policy, --out', async () => {
  const out = join(tempDir('nc-bench-fl-'), 'fl.json')
  const r = await cli(['bench', '--fl', '--data', fixtures, '--clients', '6', '--per-round', '2', '--seeds', '1', '--max-rounds', '2', '--json', '--out', out], { timeoutMs: 180_000 })
  assert.equal(r.code, 0, r.stderr)
  const b = json(r)
  assert.equal(b.mode, 'fl-sim')
  assert.deepEqual(b.summary.map((s: any) => s.policy), ['random', 'full', 'oort', 'tcs'])
  assert.equal(b.seeds.length, 1)
  for (const s of b.seeds) {
    assert.ok(s.target > 0 && s.target >= s.centralLoss)
    assert.equal(s.runs.length, 4)
    for (const run of s.runs) assert.ok(run.rounds >= 1 && run.rounds <= 2)
  }
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).summary, b.summary)
  const bad = await cli(['bench', '--fl', '--policy', 'best', '--data', fixtures])
  assert.equal(bad.code, 2, bad.stderr)
  const none = await cli(['bench', '--fl', '--data', join(fixtures, 'missing')])
  assert.notEqual(none.code, 0)
})
