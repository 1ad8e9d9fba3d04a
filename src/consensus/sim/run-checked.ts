// A scenario run twice with all four checkers: what the test suite and the replay command both use.
import { checkDeterminism } from './checkers.ts'
import { runScenario } from './simulation.ts'
import type { SimOptions, SimResult } from './simulation.ts'
import type { Scenario } from './scenario.ts'

export interface CheckedResult extends SimResult {
  readonly determinism: string[]
}

export function runChecked (scenario: Scenario, options: SimOptions = {}, twice = true): CheckedResult {
  const first = runScenario(scenario, options)
  const determinism = twice ? checkDeterminism(first.traceHash, runScenario(scenario, options).traceHash) : []
  return { ...first, determinism, violations: [...first.violations, ...determinism] }
}
