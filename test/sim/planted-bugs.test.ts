// The checkers bite: each registered protocol's planted bugs (deliberately broken builds its module lists)
// are each caught by their own checker within a few seeds of the suite plan.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PROTOCOL_MODULES } from '../../src/consensus/registry.ts'
import { runChecked } from '../../src/consensus/sim/run-checked.ts'
import { scenarioFor } from '../../src/consensus/sim/scenario.ts'
import { pingsCsv } from './suite.ts'

const pings = pingsCsv()
const MAX_SEEDS = 40

for (const m of PROTOCOL_MODULES) {
  test(`${m.name} lists a planted bug for the agreement checker at least`, () => {
    assert.ok(m.plantedBugs.some((b) => b.checker === 'agreement'))
  })
  for (const bug of m.plantedBugs) {
    test(`the ${bug.checker} checker catches a ${m.name} that ${bug.name}`, () => {
      for (let seed = 0; seed < MAX_SEEDS; seed++) {
        const sizes = m.sim.sizes
        const scenario = scenarioFor({ protocol: m.name, seed, n: sizes[seed % sizes.length], adversary: bug.adversary })
        const r = runChecked(scenario, { pingsCsv: pings, create: bug.create }, bug.checker === 'determinism')
        const caught = r.violations.filter((v) => v.startsWith(`${bug.checker}:`))
        if (caught.length > 0) {
          console.log(`# ${m.name} '${bug.name}' caught at seed ${seed} (n=${scenario.n}): ${caught[0]}`)
          return
        }
      }
      assert.fail(`${m.name} '${bug.name}' went unnoticed by the ${bug.checker} checker for ${MAX_SEEDS} seeds`)
    })
  }
}
