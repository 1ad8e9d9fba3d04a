// `novacron bench --fl`: every selection policy over seeds in the FL simulator; rounds, bytes and
// simulated wall-clock to the target loss (targetRatio x the centrally trained model's held-out loss),
// medians per policy, and how often a policy needed <= 0.8 x random selection's bytes in the same seed.
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { prepareSim, simulate, SIM_DEFAULTS, type SimOptions, type SimRun } from '../../fl/sim.ts'
import { POLICIES, isPolicyName, type PolicyName } from '../../fl/selection.ts'
import { usageError } from '../../config/errors.ts'
import { SHARED_DATA_DIR, requireDir } from '../../ml/catalog.ts'
import { isInteractive, type CliContext } from '../context.ts'
import { median } from './stats.ts'

export interface FlBenchOptions { dataRoot: string, policies: PolicyName[], seeds: number[], sim: Partial<SimOptions>, progress?: (line: string) => void }

export interface FlPolicySummary {
  policy: PolicyName
  reached: number
  seeds: number
  medianRounds: number | null
  medianBytes: number | null
  medianWallClockS: number | null
  /** Median over seeds of bytes / random's bytes (seeds where both reached the target). */
  bytesVsRandom: number | null
  /** Seeds where this policy reached the target with <= 0.8 x random's bytes (random reaching it or not). */
  winsVsRandom: number
}

export interface FlBenchResult {
  mode: 'fl-sim'
  note: string
  options: SimOptions
  seeds: Array<{ seed: number, centralLoss: number, lastValueLoss: number, target: number, clients: number, runs: Array<Omit<SimRun, 'history'> & { hostS: number }> }>
  summary: FlPolicySummary[]
}

const med = (v: number[]): number | null => v.length === 0 ? null : median(v)

export async function runFlBench (o: FlBenchOptions): Promise<FlBenchResult> {
  const opts = { ...SIM_DEFAULTS, ...o.sim }
  const seeds: FlBenchResult['seeds'] = []
  for (const seed of o.seeds) {
    o.progress?.(`seed ${seed}: central model`)
    const setup = await prepareSim(o.dataRoot, seed, opts)
    const runs: FlBenchResult['seeds'][number]['runs'] = []
    for (const policy of o.policies) {
      const t0 = performance.now()
      const { history: _h, ...r } = await simulate(setup, policy, x => o.progress?.(`seed ${seed} ${policy}: round ${x.round} loss ${x.loss.toFixed(4)} (target ${setup.target.toFixed(4)})`))
      runs.push({ ...r, hostS: Math.round(performance.now() - t0) / 1000 })
    }
    seeds.push({ seed, centralLoss: setup.centralLoss, lastValueLoss: setup.lastValueLoss, target: setup.target, clients: setup.clients.length, runs })
  }
  const summary = o.policies.map((policy): FlPolicySummary => {
    const mine = seeds.map(s => ({ r: s.runs.find(x => x.policy === policy) as Omit<SimRun, 'history'>, random: s.runs.find(x => x.policy === 'random') }))
    const reached = mine.filter(m => m.r.reached)
    const ratios = mine.filter(m => m.r.bytesToTarget != null && m.random?.bytesToTarget != null).map(m => (m.r.bytesToTarget as number) / (m.random?.bytesToTarget as number))
    return {
      policy,
      reached: reached.length,
      seeds: seeds.length,
      medianRounds: med(reached.map(m => m.r.roundsToTarget as number)),
      medianBytes: med(reached.map(m => m.r.bytesToTarget as number)),
      medianWallClockS: med(reached.map(m => m.r.wallClockToTargetS as number)),
      bytesVsRandom: med(ratios),
      winsVsRandom: mine.filter(m => m.r.bytesToTarget != null && (m.random?.bytesToTarget == null || m.r.bytesToTarget <= 0.8 * m.random.bytesToTarget)).length
    }
  })
  return {
    mode: 'fl-sim',
    note: 'simulated: clients train in this process (tfjs), transfer times from each client\'s bandwidth trace, compute time from a per-window cost; bytes are the encoded messages\' sizes',
    options: opts,
    seeds,
    summary
  }
}

export function flBenchTable (r: FlBenchResult): string {
  const n = (v: number | null, d = 0): string => v == null ? '-' : v.toFixed(d)
  const lines = [
    `FL simulator: ${r.seeds[0]?.clients ?? 0} clients, k=${r.options.perRound}, ${r.options.localSteps} local steps of ${r.options.batch}, <= ${r.options.maxRounds} rounds, target ${r.options.targetRatio} x central loss`,
    ...r.seeds.map(s => `  seed ${s.seed}: central ${s.centralLoss.toFixed(4)}, last value ${s.lastValueLoss.toFixed(4)}, target ${s.target.toFixed(4)}`),
    '',
    'policy   reached  rounds  bytes to target  wall-clock s  bytes/random  <=0.8x random',
    ...r.summary.map(s => [s.policy.padEnd(8), `${s.reached}/${s.seeds}`.padStart(7), n(s.medianRounds).padStart(7), n(s.medianBytes).padStart(16), n(s.medianWallClockS, 1).padStart(13), n(s.bytesVsRandom, 2).padStart(13), `${s.winsVsRandom}/${s.seeds}`.padStart(14)].join(' ')),
    '(medians over seeds that reached the target; simulated time)'
  ]
  return lines.join('\n')
}

/** The CLI's side: flags to options, progress on a terminal, the table or JSON, --out. */
export async function flBenchCommand (ctx: CliContext, f: { clients: number, policy: string, seeds: number, perRound: number, maxRounds: number, data?: string, out?: string }): Promise<void> {
  const policies = f.policy === 'all' ? [...POLICIES] : f.policy.split(',')
  for (const p of policies) if (!isPolicyName(p)) throw usageError(`--policy must be one of ${POLICIES.join(', ')} or all, got ${JSON.stringify(p)}`)
  const dataRoot = requireDir(f.data != null ? resolve(f.data) : join(SHARED_DATA_DIR, 'bandwidth'), 'data directory')
  const interactive = isInteractive(ctx.flags, process.stderr)
  const result = await runFlBench({
    dataRoot,
    policies: policies as PolicyName[],
    seeds: Array.from({ length: f.seeds }, (_, i) => i + 1),
    sim: { clients: f.clients, perRound: f.perRound, maxRounds: f.maxRounds },
    progress: line => { if (interactive) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 100) - 1)}`) }
  })
  if (interactive) process.stderr.write('\r\x1b[2K')
  if (f.out != null) {
    writeFileSync(f.out, JSON.stringify(result, null, 2) + '\n')
    if (!ctx.json) process.stderr.write(`wrote ${f.out}\n`)
  }
  ctx.print(result, flBenchTable)
}
