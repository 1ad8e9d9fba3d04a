// Replays one simulator run from the command line that a failing test printed, e.g.
//   npx node src/consensus/sim/replay.ts --protocol pbft --seed 123 --n 7 --adversary equivocate
//   npx node src/consensus/sim/replay.ts --protocol bullshark --seed 5 --n 4 --adversary crash-leader
import { parseArgs } from 'node:util'
import { simPings } from './pings.ts'
import { runChecked } from './run-checked.ts'
import { SIM_PROTOCOLS } from './protocols.ts'
import type { SimProtocolName } from './protocols.ts'
import { adversariesOf, scenarioFor } from './scenario.ts'
import type { AdversaryKind } from './scenario.ts'

const { values } = parseArgs({
  options: {
    protocol: { type: 'string' },
    seed: { type: 'string' },
    n: { type: 'string' },
    adversary: { type: 'string' },
    'real-signatures': { type: 'boolean', default: false },
    synthetic: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }
  }
})

const protocol: SimProtocolName = values.protocol ?? SIM_PROTOCOLS[0]
if (!SIM_PROTOCOLS.includes(protocol)) throw new Error(`unknown protocol ${values.protocol}; the simulator runs ${SIM_PROTOCOLS.join(', ')}`)
if (values.seed === undefined) throw new Error('--seed is required')
const adversary = values.adversary as AdversaryKind | undefined
const adversaries = adversariesOf(protocol)
if (adversary !== undefined && !adversaries.includes(adversary)) throw new Error(`--adversary must be one of ${adversaries.join(', ')}`)


const scenario = scenarioFor({ protocol, seed: Number(values.seed), n: values.n === undefined ? undefined : Number(values.n), adversary, realSignatures: values['real-signatures'] })
const started = performance.now()
const result = runChecked(scenario, { pingsCsv: values.synthetic ? null : simPings().path })
const wallMs = Math.round(performance.now() - started)

if (values.json) {
  console.log(JSON.stringify({ scenario, traceHash: result.traceHash, violations: result.violations, stats: result.stats, wallMs }, null, 2))
} else {
  console.log(`scenario: ${JSON.stringify({ ...scenario, params: undefined })}`)
  console.log(`stats: ${JSON.stringify(result.stats)}`)
  console.log(`trace ${result.traceHash}, ${wallMs} ms wall for two runs`)
  console.log(result.violations.length === 0 ? 'all checkers passed' : result.violations.join('\n'))
}
process.exitCode = result.violations.length === 0 ? 0 : 1
