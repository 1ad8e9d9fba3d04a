// The mechanical-refactoring safety net: the simulator's trace hash of a fixed seed range per protocol,
// on the shipped RTT fixture (so every machine gets the same numbers). A refactoring that keeps the effect
// order keeps every hash; compare two runs' output.
//   npx node scripts/sim-trace-hashes.ts [--seeds 40] [--first 0] [--protocol P] [--per-seed]
import { parseArgs } from 'node:util'
import { createHash } from 'node:crypto'
import { FIXTURE_PINGS_CSV } from '../src/consensus/sim/pings.ts'
import { SIM_PROTOCOLS } from '../src/consensus/sim/protocols.ts'
import { runScenario } from '../src/consensus/sim/simulation.ts'
import { suiteScenarioOf } from '../src/consensus/sim/suites.ts'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '40' },
    first: { type: 'string', default: '0' },
    protocol: { type: 'string' },
    'per-seed': { type: 'boolean', default: false }
  }
})
const count = Number(values.seeds)
const first = Number(values.first)
const protocols = values.protocol === undefined ? SIM_PROTOCOLS : SIM_PROTOCOLS.filter((p) => p === values.protocol)
if (protocols.length === 0) throw new Error(`unknown protocol ${values.protocol}; the simulator runs ${SIM_PROTOCOLS.join(', ')}`)

for (const protocol of protocols) {
  const all = createHash('sha256')
  let violations = 0
  const started = performance.now()
  for (let seed = first; seed < first + count; seed++) {
    const r = runScenario(suiteScenarioOf(protocol, seed), { pingsCsv: FIXTURE_PINGS_CSV })
    all.update(`${seed}:${r.traceHash};`)
    violations += r.violations.length > 0 ? 1 : 0
    if (values['per-seed']) console.log(`${protocol} seed ${seed} n=${r.scenario.n} ${r.scenario.adversary} ${r.traceHash}${r.violations.length > 0 ? ' VIOLATIONS' : ''}`)
  }
  const wall = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`${protocol} seeds ${first}..${first + count - 1}: ${all.digest('hex').slice(0, 16)} (${violations} seeds with violations, ${wall} s)`)
}
