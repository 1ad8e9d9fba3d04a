// `novacron probft odds`: ProBFT's analytic odds for (n, f, l, o), from exact binomial tails
// (src/consensus/probft/odds.ts), so an operator can choose l and o before writing them into a genesis; with
// l and o left out it prints the cheapest setting the protocol's bounds accept.
import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'
import type { ProbftOdds } from '../../consensus/probft/odds.ts'

function numberArg (flag: string, value: string | undefined, { integer = false, min = 0 } = {}): number | undefined {
  if (value === undefined) return undefined
  const x = Number(value)
  if (value.trim() === '' || !Number.isFinite(x) || x < min || (integer && !Number.isInteger(x))) {
    throw usageError(`${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(value)}`)
  }
  return x
}

const sci = (p: number, log10: number): string => p === 0 && log10 !== -Infinity ? `1e${log10.toFixed(1)}` : p === 0 ? '0' : p >= 0.01 ? p.toFixed(4) : p.toExponential(2)

function render (r: ProbftOdds & { recommended: boolean }, maxFailure: number, maxMiss: number): string {
  const lines = [
    `ProBFT n=${r.n} f=${r.f} l=${r.l} o=${r.o}${r.recommended ? ' (recommended: the fewest messages the bounds accept)' : ''}`,
    `  quorum q = ceil(l*sqrt(n))          ${r.q}`,
    `  sample s = min(n, ceil(o*q))        ${r.sampleSize}  (each vote to s distinct replicas, drawn without replacement; inclusion s/n = ${r.inclusion.toFixed(4)})`,
    `  votes received per phase (mean)     ${r.expectedVotes.correct.toFixed(2)} from the n-f correct, ${r.expectedVotes.byzantine.toFixed(2)} from the f Byzantine`,
    `  miss a quorum, f silent             ${sci(r.missQuorum, r.missQuorumLog10)}  per correct replica per phase: P[Bin(n-f, s/n) < q] (bound ${maxMiss}); ${r.expectedMissesPerPhase.toFixed(2)} replicas per phase expected`,
    `  miss a quorum, no faults            ${sci(r.missQuorumNoFaults, Math.log10(r.missQuorumNoFaults))}  P[Bin(n, s/n) < q]`,
    `  Byzantine votes fill a quorum       ${sci(r.byzantineQuorum, r.byzantineQuorumLog10)}  per replica per phase: P[Bin(f, s/n) >= q]`,
    `  forged certificate (f*that)         ${sci(r.forgedCertificate, r.byzantineQuorumLog10 + Math.log10(Math.max(1, r.f)))}  some Byzantine holder, one phase`,
    `  per decision, unsafe (union bound)  ${sci(r.decisionUnsafe, r.byzantineQuorumLog10 + Math.log10(2 * r.n))}  min(1, 2n * P[Bin(f, s/n) >= q]) (bound ${maxFailure})`,
    `  per decision, some correct misses   ${sci(r.decisionMiss, r.missQuorumLog10 + Math.log10(2 * (r.n - r.f)))}  min(1, 2(n-f) * miss)`,
    `  o window (n/(n-f) < o < n/f)        ${r.oWindow.livenessAbove.toFixed(3)} < o < ${Number.isFinite(r.oWindow.unforgeableBelow) ? r.oWindow.unforgeableBelow.toFixed(3) : 'inf'}`,
    `  messages per decision               ${r.messages.probft} vs PBFT ${r.messages.pbft} (${(100 * r.messages.ratio).toFixed(1)}%)`,
    r.acceptable ? '  accepted by the protocol\'s bounds' : `  REFUSED: ${r.refusal ?? ''}`
  ]
  return lines.join('\n')
}

export const registerProbft: Register = (program, context) => {
  const probft = program.command('probft').description('ProBFT tools: the analytic odds of its sampled quorums')
  probft.command('odds')
    .description('the odds of missing a quorum (f silent) and of Byzantine votes alone filling one, from exact binomial tails')
    .requiredOption('--n <n>', 'validators')
    .option('--f <f>', 'Byzantine replicas assumed (default floor((n-1)/3))')
    .option('--l <l>', 'quorum factor: q = ceil(l*sqrt(n)) (with --o; both left out: the recommended setting)')
    .option('--o <o>', 'redundancy factor: sample size s = min(n, ceil(o*q))')
    .addHelpText('after', `
The model (the "NovaCron model" of the design notes, not the paper's bound): every PREPARE and COMMIT goes to
s distinct replicas drawn uniformly without replacement from all n by the sender's VRF (itself included),
so a replica is in a sender's sample with probability s/n, independently across senders, and the votes it
receives from m senders are exactly Bin(m, s/n). All tails are exact rationals (then rounded); values below
1e-308 print as 1eX. "Accepted" means within the bounds of src/consensus/probft/odds.ts: per-decision unsafe
odds at most 1e-9 (PROBFT_MAX_FAILURE_ODDS) and per-replica miss odds at most 0.25 (PROBFT_MAX_MISS_ODDS).

Example:
  $ novacron probft odds --n 100 --f 20 --l 2 --o 2
  $ novacron probft odds --n 100 --json           # the recommended l and o for f = 33`)
    .action(async (opts: { n: string, f?: string, l?: string, o?: string }) => {
      const ctx = context()
      const n = numberArg('--n', opts.n, { integer: true, min: 1 }) as number
      if (n > 100_000) throw usageError(`--n must be at most 100000, got ${n}`)
      const f = numberArg('--f', opts.f, { integer: true, min: 0 }) ?? Math.floor((n - 1) / 3)
      if (f >= n) throw usageError(`--f must be below n = ${n}, got ${f}`)
      const l = numberArg('--l', opts.l)
      const o = numberArg('--o', opts.o)
      if ((l === undefined) !== (o === undefined)) throw usageError('give both --l and --o, or neither (for the recommended setting)')
      if (l !== undefined && (l <= 0 || l > 1e6)) throw usageError(`--l must be a positive number, got ${opts.l}`)
      if (o !== undefined && (o <= 0 || o > 1e6)) throw usageError(`--o must be a positive number, got ${opts.o}`)
      const { probftOdds, recommendProbft, PROBFT_MAX_FAILURE_ODDS, PROBFT_MAX_MISS_ODDS } = await import('../../consensus/probft/odds.ts')
      let odds: ProbftOdds | null
      if (l !== undefined && o !== undefined) odds = probftOdds({ n, f, l, o })
      else {
        odds = recommendProbft(n, f)
        if (odds === null) throw usageError(`no l <= 6, o <= 3 meets the bounds for n=${n}, f=${f}; use PBFT`)
      }
      const result = { ...odds, recommended: l === undefined, bounds: { maxFailureOdds: PROBFT_MAX_FAILURE_ODDS, maxMissOdds: PROBFT_MAX_MISS_ODDS } }
      // JSON has no Infinity: an impossible event's log10 is null there.
      const json = JSON.parse(JSON.stringify(result, (_k, v) => typeof v === 'number' && !Number.isFinite(v) ? null : v))
      ctx.print(json, () => render(result, PROBFT_MAX_FAILURE_ODDS, PROBFT_MAX_MISS_ODDS))
    })
}
