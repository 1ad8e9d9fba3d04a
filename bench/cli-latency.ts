// How long a runbook waits for `novacron`: wall time of whole CLI processes (start-up to exit) for
// --version, --help, status --json, kv get and kv put against a running 4-node devnet, from the source
// checkout and from the single executable, median of N runs each (the goals of issue 18), with the mean
// CPU time per run (user + system), which a loaded machine inflates far less than wall time.
//   nice -n 10 npx node bench/cli-latency.ts [--runs 20] [--bin dist/novacron] [--out FILE]
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const arg = (name: string, fallback: string): string => { const i = args.indexOf(name); return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback }
const runs = Number(arg('--runs', '20'))
const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const binary = resolve(arg('--bin', join(root, 'dist', 'novacron')))
const out = arg('--out', '')

interface Program { name: string, command: string, args: string[] }
const programs: Program[] = [{ name: 'source', command: process.execPath, args: [join(root, 'bin', 'novacron.js')] }]
if (existsSync(binary)) programs.push({ name: 'binary', command: binary, args: [] })
else process.stderr.write(`no ${binary} (npm run build:binary): measuring the source checkout only\n`)

const env = { ...process.env }
for (const k of Object.keys(env)) if (k.startsWith('NOVACRON_')) delete env[k]

function run (p: Program, argv: string[]): { ms: number, code: number | null, stdout: string, stderr: string } {
  const t0 = performance.now()
  const r = spawnSync(p.command, [...p.args, ...argv], { env, encoding: 'utf8' })
  return { ms: performance.now() - t0, code: r.status, stdout: r.stdout, stderr: r.stderr }
}

// CPU time of the children this process has reaped (user + system, /proc/self/stat fields 16-17, in
// clock ticks of 10 ms): summed over a case's runs it gives a mean that the machine's load hardly moves.
const CLOCK_TICK_MS = 10
function childCpuMs (): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[13]) + Number(fields[14])) * CLOCK_TICK_MS
  } catch { return NaN }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }

const dir = mkdtempSync(join(tmpdir(), 'nc-cli-latency-'))
const up = run(programs[0], ['devnet', 'up', '--nodes', '4', '--dir', dir, '--json', '--log-level', 'warn'])
if (up.code !== 0) { process.stderr.write(`devnet up failed: ${up.stderr}\n`); process.exit(1) }
const node0 = (JSON.parse(up.stdout) as { nodes: Array<{ dataDir: string }> }).nodes[0].dataDir
const d = ['--data-dir', node0]
const cases: Array<{ name: string, argv: (i: number) => string[], goalMs?: number }> = [
  { name: '--version', argv: () => ['--version'], goalMs: 60 },
  { name: '--help', argv: () => ['--help'] },
  { name: 'status --json', argv: () => ['status', '--json', ...d] },
  { name: 'kv get', argv: () => ['kv', 'get', 'bench/k', ...d] },
  { name: 'kv put', argv: i => ['kv', 'put', 'bench/k', `v${i}`, ...d], goalMs: 120 }
]
const results: Array<{ program: string, command: string, runs: number, medianMs: number, minMs: number, maxMs: number, cpuMeanMs: number, goalMs: number | null }> = []
const round1 = (x: number): number => Math.round(x * 10) / 10
try {
  run(programs[0], ['kv', 'put', 'bench/k', 'v', ...d])
  // The floor on this machine right now: the same Node starting with nothing to run.
  const floor: number[] = []
  const cpu0 = childCpuMs()
  for (let i = 0; i < runs; i++) floor.push(run({ name: 'node', command: process.execPath, args: [] }, ['-e', '0']).ms)
  results.push({ program: 'node', command: '-e 0 (floor)', runs, medianMs: round1(median(floor)), minMs: round1(Math.min(...floor)), maxMs: round1(Math.max(...floor)), cpuMeanMs: round1((childCpuMs() - cpu0) / runs), goalMs: null })
  for (const p of programs) {
    for (const c of cases) {
      run(p, c.argv(-1)) // warm: the compile cache and the page cache, as a runbook's second call finds them
      const times: number[] = []
      const cpu0 = childCpuMs()
      for (let i = 0; i < runs; i++) {
        const r = run(p, c.argv(i))
        if (r.code !== 0) throw new Error(`${p.name} ${c.argv(i).join(' ')} exited ${r.code}: ${r.stderr}`)
        times.push(r.ms)
      }
      const goal = c.goalMs == null ? null : p.name === 'binary' ? c.goalMs : 3 * c.goalMs
      results.push({ program: p.name, command: c.name, runs, medianMs: round1(median(times)), minMs: round1(Math.min(...times)), maxMs: round1(Math.max(...times)), cpuMeanMs: round1((childCpuMs() - cpu0) / runs), goalMs: goal })
    }
  }
} finally {
  run(programs[0], ['devnet', 'down', '--dir', dir])
  rmSync(dir, { recursive: true, force: true })
}

const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? '?', loadavg: loadavg().map(x => Math.round(x * 100) / 100), node: process.version }
process.stdout.write('program  command          runs  median ms   min ms   max ms  cpu ms (mean)  goal ms\n')
for (const r of results) process.stdout.write(`${r.program.padEnd(8)} ${r.command.padEnd(16)} ${String(r.runs).padStart(4)} ${r.medianMs.toFixed(1).padStart(10)} ${r.minMs.toFixed(1).padStart(8)} ${r.maxMs.toFixed(1).padStart(8)} ${r.cpuMeanMs.toFixed(1).padStart(14)} ${r.goalMs == null ? '      -' : `${r.goalMs <= 0 ? '' : r.medianMs <= r.goalMs ? '<=' : '> '}${r.goalMs}`.padStart(8)}\n`)
const json = JSON.stringify({ results, machine }, null, 2)
process.stdout.write(json + '\n')
if (out !== '') writeFileSync(out, json + '\n')
