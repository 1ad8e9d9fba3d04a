// MADDPG across training seeds: each trained actor (a models dir from `models train placement --seed S
// --out DIR`) on the held-out Azure test window at offered loads 0.7/0.9/1.1 and 5 thinning seeds; the
// paired differences (MADDPG minus best-fit, minus random) pooled over every (training seed, thinning seed)
// pair, with 95% t intervals. Prints a table and JSON.
//   node bench/placement-training-seeds.ts DIR1 DIR2 DIR3
import { HEURISTICS, biddingPolicy, randomPolicy } from '../src/alloc/policies.ts'
import { pairedInterval } from '../src/alloc/sim/bench.ts'
import { simulate, streamAtLoad } from '../src/alloc/sim/sim.ts'
import { azureHosts, findDataDir, loadAzure } from '../src/alloc/sim/trace.ts'
import { bidderOf, loadActorWeights } from '../src/ml/tasks/placement.ts'
import { mulberry32 } from '../src/ml/train/random.ts'

const dirs = process.argv.slice(2)
const data = findDataDir()
if (data == null || dirs.length === 0) throw new Error('usage: node bench/placement-training-seeds.ts DIR... (with ../shared/data present)')
const window = loadAzure(data, 'test')
const hosts = azureHosts(16)
const actors = dirs.map(d => { const a = loadActorWeights(d); if (a == null) throw new Error(`no actor in ${d}`); return a })
const rows = []
for (const load of [0.7, 0.9, 1.1]) {
  const m: number[] = []; const bf: number[] = []; const rnd: number[] = []
  const perActor: number[][] = actors.map(() => [])
  for (let seed = 1; seed <= 5; seed++) {
    const s = streamAtLoad(window, hosts, load, seed)
    const b = simulate(HEURISTICS['best-fit'], hosts, window, s.requests).metrics.missedVcpuHPct
    const r = simulate(randomPolicy(mulberry32(1000 + seed)), hosts, window, s.requests).metrics.missedVcpuHPct
    actors.forEach((a, i) => {
      const x = simulate(biddingPolicy('maddpg', bidderOf(a)), hosts, window, s.requests).metrics.missedVcpuHPct
      m.push(x); bf.push(b); rnd.push(r); perActor[i].push(x)
    })
  }
  rows.push({ load, pairs: m.length, vsBestFit: pairedInterval(m, bf), vsRandom: pairedInterval(m, rnd), perTrainingSeedMean: perActor.map(xs => Math.round(xs.reduce((s, x) => s + x, 0) / xs.length * 100) / 100) })
}
console.log('load  pairs  MADDPG - best-fit (95% CI)   MADDPG - random (95% CI)   per training seed: missed vCPU-h %')
for (const r of rows) console.log(`${r.load.toFixed(1)}   ${r.pairs}     ${r.vsBestFit.mean.toFixed(2)} [${r.vsBestFit.lo.toFixed(2)}, ${r.vsBestFit.hi.toFixed(2)}]          ${r.vsRandom.mean.toFixed(2)} [${r.vsRandom.lo.toFixed(2)}, ${r.vsRandom.hi.toFixed(2)}]         ${r.perTrainingSeedMean.join(' / ')}`)
console.log(JSON.stringify({ dirs, rows }))
