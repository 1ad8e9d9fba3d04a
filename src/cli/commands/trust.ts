// `novacron trust show [--epoch E]`: a T-PBFT epoch's trust ranking, with each validator's EigenTrust score,
// the primary-group windows it sits in and the committed evidence it received, from the node's admin API
// (GET /v1/trust). On a cluster running another protocol the node answers 404 and this exits 2 (usage).
import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'
import type { TrustEpochJson } from '../../api/types.ts'

const short = (id: string): string => (id.length > 12 ? `…${id.slice(-8)}` : id)

/** The human rendering of one epoch (exported for tests). */
export function formatTrust (t: TrustEpochJson): string {
  const evidence = t.evidenceEpochs == null ? 'no evidence yet (pre-trust only)' : `evidence of epochs ${t.evidenceEpochs.from}..${t.evidenceEpochs.to}`
  const head = [
    `epoch ${t.epoch} (${t.protocol})  config ${t.hash.slice(0, 16)}  checkpoint ${t.checkpointRoot.slice(0, 16)}`,
    `${t.ranking.length} validators, ${t.eligible} eligible; ${t.groups.length} window(s) of ${t.groupSize}, then single primaries; ${evidence}`,
    ''
  ]
  const cols = ['rank', 'node', 'trust', 'windows', 'agreed', 'co-signed', 'inner', 'view-chg', 'note']
  const rows = t.ranking.map((n) => [
    String(n.rank),
    short(n.id),
    n.trust.toFixed(6),
    n.windows.length === 0 ? '-' : n.windows.join(','),
    String(n.evidence.agreements),
    String(n.evidence.coSigned),
    String(n.evidence.innerComplaints),
    String(n.evidence.viewChangeBlames),
    n.convicted ? `CONVICTED${n.evidence.convictedAt == null ? '' : ` in epoch ${n.evidence.convictedAt}`}` : n.eligible ? '' : 'ineligible'
  ])
  const width = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)))
  const right = new Set([0, 2, 4, 5, 6, 7])
  const line = (cells: string[]): string => cells.map((c, i) => (right.has(i) ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd()
  const held = t.epochs.length > 1 ? ['', `epochs held: ${t.epochs[0]}..${t.epochs[t.epochs.length - 1]} (--epoch E for another)`] : []
  return [...head, line(cols), ...rows.map(line), ...held].join('\n')
}

export const registerTrust: Register = (program, context) => {
  const trust = program.command('trust').description('T-PBFT trust: the EigenTrust ranking that elects primary groups')
  trust.command('show')
    .description('print an epoch\'s trust ranking with each node\'s score, group windows and evidence counts (default: the latest epoch)')
    .option('--epoch <E>', 'the epoch to show (a non-negative integer)')
    .addHelpText('after', `
Columns: agreed = peers that co-signed a commit with the node (per epoch, what EigenTrust credits);
co-signed = commits co-signed, counted per peer; inner = inner-failover votes against it; view-chg =
view-change blames. A convicted node (two conflicting signed messages) has trust 0 for good.
On a cluster that does not run tpbft this exits 2.

Example:
  $ novacron trust show
  $ novacron trust show --epoch 3 --json`)
    .action(async (opts: { epoch?: string }) => {
      const ctx = context()
      if (opts.epoch != null && !/^\d{1,15}$/.test(opts.epoch)) throw usageError(`--epoch must be a non-negative integer, got ${JSON.stringify(opts.epoch)}`)
      const path = opts.epoch == null ? '/v1/trust' : `/v1/trust?epoch=${opts.epoch}`
      const t = await ctx.client().request<TrustEpochJson>('GET', path)
      ctx.print(t, formatTrust, (v: TrustEpochJson) => v.ranking.map((n) => ({ rank: n.rank, node: n.id, trust: n.trust, windows: n.windows.join(','), agreed: n.evidence.agreements, coSigned: n.evidence.coSigned, inner: n.evidence.innerComplaints, viewChange: n.evidence.viewChangeBlames, convicted: n.convicted })))
    })
}
