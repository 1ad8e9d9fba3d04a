// The CLI side of `bench --placement`: picks the policies, loads the learned actor for maddpg when it is
// shipped, runs the simulator benchmark, and prints its table (or JSON) and optional output file.
import { writeFileSync } from 'node:fs'
import { failure, usageError } from '../../config/errors.ts'
import type { CliContext } from '../context.ts'
import { BENCH_POLICIES, placementTable, runPlacementBench, type Trace } from '../../alloc/sim/bench.ts'

export async function runPlacementCli (ctx: CliContext, opts: { policy: string, trace: Trace, seeds: number, out?: string }): Promise<void> {
  const names: string[] = opts.policy === 'all' ? [...BENCH_POLICIES] : [opts.policy]
  for (const n of names) if (!(BENCH_POLICIES as readonly string[]).includes(n)) throw usageError(`--policy must be all or one of ${BENCH_POLICIES.join(', ')}, got ${JSON.stringify(n)}`)
  let maddpg = null
  if (names.includes('maddpg')) {
    const { loadPlacementBidder } = await import('../../ml/tasks/placement.ts')
    maddpg = loadPlacementBidder()
    if (maddpg == null && opts.policy === 'maddpg') throw failure('no placement model: train one with `novacron models train placement`')
  }
  let result
  try {
    result = runPlacementBench({ trace: opts.trace, policies: names, seeds: opts.seeds, maddpg, progress: line => { if (!ctx.json) process.stderr.write(`\r${line}   `) } })
  } catch (err) {
    throw failure((err as Error).message)
  }
  if (!ctx.json) process.stderr.write('\r\x1b[2K')
  if (opts.out != null) writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n')
  ctx.print(result, placementTable)
}
