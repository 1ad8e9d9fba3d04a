// The checkers must bite: each planted bug is caught by its checker within a few seeds of the suite plan.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runChecked } from '../../src/consensus/sim/run-checked.ts'
import { scenarioFor } from '../../src/consensus/sim/scenario.ts'
import { PLANTED_BUGS } from './planted-bugs.ts'
import { SUITE_SIZES } from '../../src/consensus/sim/suites.ts'
import { pingsCsv } from './suite.ts'

const pings = pingsCsv()
const MAX_SEEDS = 40

for (const [checker, bug] of Object.entries(PLANTED_BUGS)) {
  test(`the ${checker} checker catches its planted bug`, () => {
    for (let seed = 0; seed < MAX_SEEDS; seed++) {
      const scenario = scenarioFor({ seed, n: SUITE_SIZES[seed % SUITE_SIZES.length], adversary: bug.adversary })
      const r = runChecked(scenario, { pingsCsv: pings, pbft: bug.build })
      const caught = r.violations.filter((v) => v.startsWith(`${checker}:`))
      if (caught.length > 0) {
        console.log(`# ${checker} bug caught at seed ${seed} (n=${scenario.n}): ${caught[0]}`)
        return
      }
    }
    assert.fail(`the ${checker} bug went unnoticed for ${MAX_SEEDS} seeds`)
  })
}
