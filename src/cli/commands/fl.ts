// `novacron fl status|start|history`: federated retraining of the bandwidth forecaster among the
// validators, through the admin API of one node (a start on any node reaches the coordinator).
import { Option } from 'commander'
import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'
import { POLICIES } from '../../fl/selection.ts'
import type { FlStatus, FlVersion } from '../../fl/service.ts'

const short = (id: string | null): string => id == null ? '-' : id.slice(-8)
const loss = (v: number | null): string => v == null ? '-' : v.toFixed(4)

export const registerFl: Register = (program, context) => {
  const fl = program.command('fl').description('federated learning of the bandwidth forecaster across the cluster (FedAvg; the consensus leader coordinates)')
    .addHelpText('after', '\nExample:\n  $ novacron fl start --rounds 2 && novacron fl history')
  fl.command('status')
    .description('the current round, its participants, bytes moved, and the model version this node runs')
    .addHelpText('after', '\nExample:\n  $ novacron fl status --json')
    .action(async () => {
      const ctx = context()
      const s = await ctx.client().request<FlStatus>('GET', '/v1/fl/status')
      ctx.print(s, (v: FlStatus) => [
        `node ${short(v.node)}  coordinator ${short(v.coordinator)}${v.isCoordinator ? ' (this node)' : ''}  ${v.running ? 'running' : 'idle'}`,
        `round ${v.round}  participants ${v.participants.map(short).join(', ') || '-'}  bytes moved ${v.bytesMoved}  local windows ${v.localWindows}`,
        `model ${v.current == null ? 'none (last-value forecast)' : `v${v.current.version} sha256 ${v.current.sha256.slice(0, 16)} local loss ${loss(v.current.localLoss)}`}  versions seen ${v.versions}`
      ].join('\n'))
    })
  fl.command('start')
    .description('run federated rounds (the coordinator runs them; this returns once they are started)')
    .option('--rounds <n>', 'rounds to run', '1')
    .addOption(new Option('--policy <name>', 'client selection policy').choices([...POLICIES]).default('full'))
    .option('--deadline <ms>', 'round deadline: updates later than this are left out', '30000')
    .addHelpText('after', '\nExample:\n  $ novacron fl start --rounds 2 --policy full --deadline 20000')
    .action(async (opts: { rounds: string, policy: string, deadline: string }) => {
      const ctx = context()
      const rounds = Number(opts.rounds)
      const deadlineMs = Number(opts.deadline)
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) throw usageError(`--rounds must be an integer from 1 to 1000, got ${JSON.stringify(opts.rounds)}`)
      if (!Number.isFinite(deadlineMs) || deadlineMs < 100 || deadlineMs > 600_000) throw usageError(`--deadline must be 100..600000 ms, got ${JSON.stringify(opts.deadline)}`)
      const r = await ctx.client().request<{ coordinator: string, started: boolean }>('POST', '/v1/fl/start', { rounds, policy: opts.policy, deadlineMs })
      ctx.print(r, (v: typeof r) => v.started ? `started ${rounds} round(s) on coordinator ${short(v.coordinator)}` : `coordinator ${short(v.coordinator)} is already running rounds`)
    })
  fl.command('history')
    .description('published global model versions: round, participants, bytes, hash and each node\'s verdict')
    .addHelpText('after', '\nExample:\n  $ novacron fl history --json')
    .action(async () => {
      const ctx = context()
      const h = await ctx.client().request<FlVersion[]>('GET', '/v1/fl/history')
      ctx.print(h, (v: FlVersion[]) => v.length === 0
        ? 'no federated model published yet'
        : ['version  round  updates  late  bytes     round ms  sha256            loss    switched', ...v.map(x =>
            `${String(x.version).padStart(7)} ${String(x.round).padStart(6)} ${`${x.updates}/${x.participants.length}`.padStart(8)} ${String(x.late.length).padStart(5)} ${String(x.bytes).padEnd(9)} ${String(x.roundMs).padStart(8)}  ${x.sha256.slice(0, 16)}  ${loss(x.loss)}  ${x.verdicts.filter(d => d.accepted).length}/${x.verdicts.length}`)].join('\n'))
    })
}
