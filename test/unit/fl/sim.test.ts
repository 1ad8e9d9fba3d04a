// The FL simulator on small fixtures (one network type per client, split by trace), and its partition
// on the full traces when present.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SOURCES, buildFlData, readSource } from '../../../src/fl/data.ts'
import { prepareSim, simulate, SIM_DEFAULTS } from '../../../src/fl/sim.ts'
import { POLICIES } from '../../../src/fl/selection.ts'
import { encodeTensors } from '../../../src/fl/tensors.ts'
import { lstmToTensors } from '../../../src/fl/weights.ts'
import { tracePart } from '../../../src/ml/tasks/bandwidth.ts'
import { dataSet } from '../../helpers/data.ts'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'fl-bandwidth')
const tiny = { ...SIM_DEFAULTS, clients: 8, perRound: 3, localSteps: 2, batch: 8, hidden: 4, maxRounds: 3, centralSteps: 10, targetRatio: 0.5 }

describe('FL simulator', () => {
  it('gives every client one source, holds traces out, and runs every policy with paired, reproducible rounds', async () => {
    const data = buildFlData(fixtures, tiny)
    assert.deepEqual(new Set(data.clients.map(c => c.source)), new Set(SOURCES), 'all five network types')
    for (const c of data.clients) assert.ok(c.id.endsWith(c.source))
    const setup = await prepareSim(fixtures, 1, tiny)
    const model = (await encodeTensors(lstmToTensors(setup.init))).length
    for (const policy of POLICIES) {
      const a = await simulate(setup, policy)
      const b = await simulate(setup, policy)
      assert.deepEqual(a, b, `${policy} replays from its seed`)
      assert.equal(a.rounds, 3, 'an unreachable target runs the whole budget')
      assert.equal(a.reached, false)
      for (const r of a.history) {
        assert.equal(r.participants, policy === 'full' ? setup.clients.length : 3)
        assert.equal(r.returned + r.dropped + r.late, r.participants)
        // The formula: each participant gets the model; those that did not drop send an update, and a
        // 16-byte report under oort and tcs.
        assert.equal(r.bytes, r.participants * r.modelBytes + r.updateBytes + r.reportBytes, `${policy} round ${r.round}`)
        assert.equal(r.reportBytes, ['oort', 'tcs'].includes(policy) ? 16 * r.returned : 0)
        assert.ok(r.updateBytes >= (r.returned + r.late) * 0.8 * model && r.updateBytes <= (r.returned + r.late) * 1.5 * model)
        if (r.round === 1) assert.equal(r.modelBytes, model)
        assert.ok(Number.isFinite(r.loss))
      }
    }
  })

  it('partitions the full traces: no trace both trained on and held out, stable across runs', { skip: dataSet('bandwidth').skip }, () => {
    const root = dataSet('bandwidth').path as string
    const opts = { clients: 40, maxWindowsPerClient: 50, maxHeldOutPerSource: 50 }
    const a = buildFlData(root, opts)
    const b = buildFlData(root, opts)
    assert.deepEqual(a.clients.map(c => [c.id, c.y.slice(0, 5)]), b.clients.map(c => [c.id, c.y.slice(0, 5)]))
    assert.equal(a.clients.length, 40)
    for (const s of SOURCES) {
      const traces = readSource(root, s)
      assert.ok(traces.length > 0, s)
      assert.ok(traces.some(t => tracePart(t) === 'test') && traces.some(t => tracePart(t) !== 'test'), `${s} has both parts`)
    }
  })
})
