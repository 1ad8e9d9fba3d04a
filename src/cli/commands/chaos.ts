// `novacron chaos`: check a client history (the project's or a Jepsen register log) for linearizability,
// lost acknowledged writes and log divergence.
import { readFileSync } from 'node:fs'
import type { Register } from '../main.ts'
import { failure, usageError } from '../../config/errors.ts'
import { ExitCode } from '../exit-codes.ts'
import type { RunReport } from '../../chaos/run/runner.ts'
import { HistoryFormatError, checkHistory, parseHistory, parseJepsenLog, type History, type HistoryReport } from '../../chaos/check/index.ts'

/** Exit codes of `chaos check` (CLI.md): 0 linearizable, 1 not, 3 undecided within the budget. */
export const CHECK_EXIT = { linearizable: ExitCode.ok, 'not-linearizable': ExitCode.failure, unknown: 3 } as const

const positiveInt = (flag: string) => (raw: string): number => {
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n <= 0) throw usageError(`${flag} must be a positive integer, got ${JSON.stringify(raw)}`)
  return n
}

export function readHistory (file: string, format: string): History {
  let text: string
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (err) {
    throw failure(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    if (format === 'jepsen-log') return { format: 'novacron-history/1', ops: parseJepsenLog(text) }
    let raw: unknown
    try { raw = JSON.parse(text) } catch { throw new HistoryFormatError('not JSON (a Jepsen log needs --format jepsen-log)') }
    return parseHistory(raw)
  } catch (err) {
    if (err instanceof HistoryFormatError) throw failure(`${file}: ${err.message}`)
    throw err
  }
}

function human (r: HistoryReport): string {
  const ops = r.linearizability.keys.reduce((n, k) => n + k.ops, 0)
  const head = `${r.verdict} (${r.linearizability.keys.length} keys, ${ops} operations, ${r.linearizability.steps} search steps)`
  const heights = r.logs == null ? [] : Object.values(r.logs.heads).map(h => h.height)
  const logs = r.logs == null ? [] : [`logs: ${r.logs.agree ? 'agree' : 'DIVERGE'} (${heights.length} nodes, last heights ${Math.min(...heights)}..${Math.max(...heights)}), ${r.logs.acknowledged} acknowledged writes, ${r.logs.lost.length} lost`]
  const windows = r.linearizability.keys.filter(k => k.window != null).map(k => `smallest failing window of ${JSON.stringify(k.key)}: ${k.window!.from}..${k.window!.to}\n${k.window!.ops.map(o => `  ${o.ref ?? o.process}  ${o.f} ${o.f === 'cas' ? `${o.expect}->${o.value}` : String(o.value)}  ${o.outcome}  [${o.invoke}, ${o.complete ?? '∞'}]`).join('\n')}`)
  return [head, ...logs, ...r.problems.map(p => `- ${p}`), ...windows].join('\n')
}

function humanRun (r: RunReport): string {
  const faults = r.faults.map(f => `  ${String(f.atS).padStart(4)}s ${f.kind.padEnd(9)} ${f.applied ? `node ${f.targets.join(',')}` : ''}${f.note != null ? ` ${f.note}` : ''}`)
  return [
    `${r.name} (${r.protocol}, seed ${r.seed}, ${r.env}${r.envNote != null ? `: ${r.envNote}` : ''}): ${r.ok ? 'PASS' : 'FAIL'}`,
    `history ${r.verdict}: ${r.ops.total} operations (${r.ops.writes} puts, ${r.ops.reads} linearizable gets; ${r.ops.ok} ok, ${r.ops.fail} failed, ${r.ops.unknown} unknown)`,
    `logs ${r.logsAgree ? 'agree' : 'DIVERGE'}, ${r.lostWrites} acknowledged writes lost, ${r.converged ? 'converged' : 'NOT converged'}${r.recoveryS != null ? `, writes back ${r.recoveryS} s after the last heal` : ''}`,
    'faults:', ...faults, ...r.problems.map(p => `- ${p}`), `files: ${r.outDir}`
  ].join('\n')
}

export const registerChaos: Register = (program, context) => {
  const chaos = program.command('chaos').description('fault-injection runs and their history checker')
  chaos.command('run')
    .description('start real nodes, load them, inject the manifest\'s faults, and check the history (root: each node in its own network namespace)')
    .argument('<manifest>', 'a JSON manifest (see test/chaos/), or random:SEED for a generated schedule')
    .option('--seed <n>', 'seed for the load and for random targets', positiveInt('--seed'), 1)
    .option('--out <dir>', 'keep history.json, report.json and the node logs here (default: a temp dir)')
    .option('--protocol <p>', "run over this protocol instead of the manifest's")
    .option('--local', 'nodes on loopback even as root (only kill and pause then)')
    .addHelpText('after', '\nExample:\n  $ sudo novacron chaos run test/chaos/kill-leader.json --seed 7 --out /tmp/run\n  $ novacron chaos run random:42 --protocol bullshark --json')
    .action(async (file: string, opts: { seed: number, out?: string, protocol?: string, local?: boolean }) => {
      const ctx = context()
      const { parseManifest, randomManifest, ManifestError } = await import('../../chaos/run/manifest.ts')
      const { AVAILABLE_PROTOCOLS } = await import('../../node/protocols.ts')
      let manifest
      try {
        const random = /^random:(\d+)$/.exec(file)
        manifest = random != null ? randomManifest(Number(random[1]), { protocol: opts.protocol ?? 'pbft' }) : parseManifest(JSON.parse(readFileSync(file, 'utf8')))
      } catch (err) {
        if (err instanceof ManifestError || err instanceof SyntaxError) throw failure(`${file}: ${err.message}`)
        throw failure(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      }
      if (opts.protocol != null) manifest.protocol = opts.protocol
      if (!(AVAILABLE_PROTOCOLS as readonly string[]).includes(manifest.protocol)) throw usageError(`protocol ${JSON.stringify(manifest.protocol)} is not available (built: ${AVAILABLE_PROTOCOLS.join(', ')})`)
      const { runChaos } = await import('../../chaos/run/runner.ts')
      const report = await runChaos(manifest, { seed: opts.seed, outDir: opts.out, local: opts.local, progress: m => { if (!ctx.json) process.stderr.write(`chaos: ${m}\n`) } })
      ctx.print(report, humanRun)
      process.exitCode = report.ok ? ExitCode.ok : report.verdict === 'unknown' && report.converged ? CHECK_EXIT.unknown : ExitCode.failure
    })
  chaos.command('check')
    .description('check a history: linearizability per key, lost acknowledged writes, committed logs agreeing (exit 0 linearizable, 1 not, 3 undecided)')
    .argument('<file>', "a history file ('-' for stdin)")
    .option('--format <f>', 'novacron (the JSON a chaos run writes) or jepsen-log (Jepsen register logs)', 'novacron')
    .option('--max-steps <n>', 'search steps per key before answering "unknown"', positiveInt('--max-steps'), 2_000_000)
    .option('--timeout <s>', 'seconds before answering "unknown" for what is still undecided', positiveInt('--timeout'), 60)
    .addHelpText('after', '\nExample:\n  $ novacron chaos check run/history.json --json\n  $ novacron chaos check etcd_002.log --format jepsen-log')
    .action((file: string, opts: { format: string, maxSteps: number, timeout: number }) => {
      if (opts.format !== 'novacron' && opts.format !== 'jepsen-log') throw usageError(`--format must be novacron or jepsen-log, got ${JSON.stringify(opts.format)}`)
      const ctx = context()
      const history = readHistory(file, opts.format)
      const deadline = Date.now() + opts.timeout * 1000
      const report = checkHistory(history, { maxSteps: opts.maxSteps, expired: () => Date.now() > deadline })
      ctx.print(report, human)
      process.exitCode = CHECK_EXIT[report.verdict]
    })
}
