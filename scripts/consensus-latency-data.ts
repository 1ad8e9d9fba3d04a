// Generates the consensus-latency training set: the simulator over a grid of configurations of every
// registered protocol (src/ml/data/consensus-sim.ts), two seeds each, one JSON line per interval.
// `npm run data:consensus-latency [-- --per-protocol N --seeds K --protocol P --out DIR]`; the output directory
// (.scratch/consensus-latency by default) is gitignored: the model card says how to regenerate it.
import { mkdirSync, writeFileSync } from 'node:fs'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { sampleGrid, simulateRows, type LatencyRow } from '../src/ml/data/consensus-sim.ts'

const { values } = parseArgs({ options: { 'per-protocol': { type: 'string', default: '100' }, seeds: { type: 'string', default: '2' }, out: { type: 'string', default: '.scratch/consensus-latency' }, 'grid-seed': { type: 'string', default: '1' }, protocol: { type: 'string' } } })
const PINGS = '../shared/data/latency/wondernetwork/pings-2020-07-19-2020-07-20-grouped.csv'
const pings = existsSync(PINGS) ? PINGS : null
const configs = sampleGrid(Number(values['per-protocol']), Number(values['grid-seed']), values.protocol != null ? [values.protocol] : undefined)
const seeds = Number(values.seeds)
mkdirSync(values.out, { recursive: true })
const byProtocol = new Map<string, LatencyRow[]>()
const t0 = Date.now()
configs.forEach((c, i) => {
  for (let s = 1; s <= seeds; s++) {
    const rows = simulateRows(c, s, pings)
    byProtocol.set(c.protocol, [...(byProtocol.get(c.protocol) ?? []), ...rows])
  }
  // A protocol's file is rewritten after each configuration, so a long run that is stopped keeps what it finished
  // (its first K configurations are exactly what `--per-protocol K` draws for a single `--protocol`).
  writeFileSync(join(values.out, `sim-${c.protocol}.jsonl`), (byProtocol.get(c.protocol) ?? []).map(r => JSON.stringify(r)).join('\n') + '\n')
  if (i % 10 === 0) process.stderr.write(`${i + 1}/${configs.length} configurations, ${Math.round((Date.now() - t0) / 1000)} s\n`)
})
process.stdout.write(JSON.stringify({ out: values.out, configurations: configs.length, seeds, latency: pings ?? 'synthetic', rows: Object.fromEntries([...byProtocol].map(([p, r]) => [p, r.length])) }) + '\n')
