// The checkers must bite on Bullshark too: a deliberately broken commit rule is caught by the agreement
// checker within a few seeds of the suite plan. The broken build lives here, never in the shipped protocol.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Bullshark } from '../../src/consensus/bullshark/bullshark.ts'
import type { BullsharkOptions } from '../../src/consensus/bullshark/bullshark.ts'
import { runChecked } from '../../src/consensus/sim/run-checked.ts'
import { scenarioFor } from '../../src/consensus/sim/scenario.ts'
import type { AdversaryKind } from '../../src/consensus/sim/scenario.ts'
import { SUITE_SIZES } from '../../src/consensus/sim/suites.ts'
import { pingsCsv } from './suite.ts'

/** Commits an anchor as soon as its certificate is held, without f + 1 certificates of the next round
 *  referencing it: a node that holds a late anchor commits it while peers that moved on never do. */
class CommitsWithoutSupport extends Bullshark {
  protected override commitStake (): number { return 0 }
}

const BROKEN: Record<string, { adversary: AdversaryKind, build: (o: BullsharkOptions) => Bullshark }> = {
  'commit an anchor without f + 1 support': { adversary: 'slow-leader', build: (o) => new CommitsWithoutSupport(o) }
}

const pings = pingsCsv()
const MAX_SEEDS = 40

for (const [name, bug] of Object.entries(BROKEN)) {
  test(`the agreement checker catches a Bullshark that would ${name}`, () => {
    for (let seed = 0; seed < MAX_SEEDS; seed++) {
      const scenario = scenarioFor({ protocol: 'bullshark', seed, n: SUITE_SIZES[seed % SUITE_SIZES.length], adversary: bug.adversary })
      const r = runChecked(scenario, { pingsCsv: pings, bullshark: bug.build }, false)
      const caught = r.violations.filter((v) => v.startsWith('agreement:'))
      if (caught.length > 0) {
        console.log(`# '${name}' caught at seed ${seed} (n=${scenario.n}): ${caught[0]}`)
        return
      }
    }
    assert.fail(`'${name}' went unnoticed for ${MAX_SEEDS} seeds`)
  })
}
