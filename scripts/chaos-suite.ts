// `npm run chaos`: every manifest of test/chaos/manifests over every protocol, then seeded random
// schedules, each through `novacron chaos run` (root: network namespaces; otherwise loopback with only
// kill and pause). Results go to OUT/results.jsonl as they come, then a table and a JSON summary.
//   NOVACRON_CHAOS_PROTOCOLS=pbft,bullshark  NOVACRON_CHAOS_RANDOM=100 (per protocol)  NOVACRON_CHAOS_FIRST_SEED=1  NOVACRON_CHAOS_OUT=DIR
//   NOVACRON_CHAOS_ONLY=substring (manifests whose name contains it; "random" for the random ones only)
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { AVAILABLE_PROTOCOLS } from '../src/node/protocols.ts'

const repo = resolve(import.meta.dirname, '..')
const protocols = (process.env.NOVACRON_CHAOS_PROTOCOLS ?? AVAILABLE_PROTOCOLS.join(',')).split(',').filter(Boolean)
const randomRuns = Number(process.env.NOVACRON_CHAOS_RANDOM ?? 100)
const firstSeed = Number(process.env.NOVACRON_CHAOS_FIRST_SEED ?? 1)
const only = process.env.NOVACRON_CHAOS_ONLY ?? ''
const out = resolve(process.env.NOVACRON_CHAOS_OUT ?? join(repo, '.scratch', `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`))
mkdirSync(out, { recursive: true })
const manifests = readdirSync(join(repo, 'test/chaos/manifests')).filter(f => f.endsWith('.json')).sort()

const jobs: Array<{ protocol: string, target: string, label: string, seed: number }> = []
for (const protocol of protocols) {
  for (const f of manifests) if (only === '' || f.includes(only)) jobs.push({ protocol, target: join(repo, 'test/chaos/manifests', f), label: f.replace(/\.json$/, ''), seed: 1 })
  if (only === '' || only === 'random') for (let s = firstSeed; s < firstSeed + randomRuns; s++) jobs.push({ protocol, target: `random:${s}`, label: `random-${s}`, seed: s })
}
process.stderr.write(`${jobs.length} runs; results in ${out}/results.jsonl\n`)
const rows: any[] = []
for (const [i, job] of jobs.entries()) {
  const dir = join(out, `${job.protocol}-${job.label}`)
  const r = spawnSync(process.execPath, [join(repo, 'bin/novacron.js'), 'chaos', 'run', job.target, '--protocol', job.protocol, '--seed', String(job.seed), '--out', dir, '--json'], { encoding: 'utf8', timeout: 600_000 })
  let report: any = null
  try { report = JSON.parse(r.stdout) } catch { /* printed below */ }
  const row = report?.name != null
    ? { protocol: job.protocol, run: job.label, exit: r.status, pass: report.ok, verdict: report.verdict, ops: report.ops.total, unknown: report.ops.unknown, lost: report.lostWrites, logsAgree: report.logsAgree, converged: report.converged, recoveryS: report.recoveryS, env: report.env, faults: report.faults.map((f: any) => `${f.kind}${f.applied ? '' : '(skipped)'}`).join(' '), problems: report.problems.slice(0, 3) }
    : { protocol: job.protocol, run: job.label, exit: r.status, pass: false, error: (report?.error?.message ?? r.stderr.trim().split('\n').at(-1) ?? 'no output').slice(0, 300) }
  rows.push(row)
  appendFileSync(join(out, 'results.jsonl'), JSON.stringify(row) + '\n')
  process.stderr.write(`[${i + 1}/${jobs.length}] ${job.protocol} ${job.label}: ${row.pass ? 'pass' : 'FAIL'} ${row.verdict ?? row.error} ops=${row.ops ?? '-'} unknown=${row.unknown ?? '-'} lost=${row.lost ?? '-'} recovery=${row.recoveryS ?? '-'}s\n`)
}
const pad = (s: unknown, n: number): string => String(s ?? '').padEnd(n)
process.stdout.write(`${pad('protocol', 10)}${pad('run', 30)}${pad('pass', 6)}${pad('verdict', 18)}${pad('ops', 6)}${pad('lost', 6)}${pad('agree', 7)}${pad('recov s', 9)}faults\n`)
for (const r of rows) process.stdout.write(`${pad(r.protocol, 10)}${pad(r.run, 30)}${pad(r.pass, 6)}${pad(r.verdict ?? 'error', 18)}${pad(r.ops, 6)}${pad(r.lost, 6)}${pad(r.logsAgree, 7)}${pad(r.recoveryS, 9)}${r.faults ?? r.error}\n`)
const summary = { runs: rows.length, passed: rows.filter(r => r.pass).length, violations: rows.filter(r => r.verdict === 'not-linearizable').length, lostWrites: rows.reduce((n, r) => n + (r.lost ?? 0), 0), divergences: rows.filter(r => r.logsAgree === false).length, out }
process.stdout.write(JSON.stringify(summary) + '\n')
process.exitCode = summary.passed === summary.runs ? 0 : 1
