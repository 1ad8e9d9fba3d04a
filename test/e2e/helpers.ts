// Runs the real `novacron` program as child processes: each test gets its own temp dir, ports come from the
// OS, and every background child is in its own process group, killed at the end.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const bin = process.env.NOVACRON_BIN != null && process.env.NOVACRON_BIN !== '' ? { command: resolve(process.env.NOVACRON_BIN), args: [] as string[] } : { command: process.execPath, args: [join(repoRoot, 'bin', 'novacron.js')] }

export interface CliResult { code: number | null, stdout: string, stderr: string }

const children = new Set<ChildProcess>()
const dirs: string[] = []

export function tempDir (prefix = 'nc-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

function cleanEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  for (const k of Object.keys(env)) if (k.startsWith('NOVACRON_') && !(k in extra) && k !== 'NOVACRON_BIN') delete env[k]
  return env
}

export async function cli (args: string[], { timeoutMs = 90_000, env }: { timeoutMs?: number, env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(bin.command, [...bin.args, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', d => { stdout += d })
  child.stderr.on('data', d => { stderr += d })
  const timer = setTimeout(() => killTree(child, 'SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>(resolveCode => child.on('close', c => resolveCode(c)))
  clearTimeout(timer)
  children.delete(child)
  return { code, stdout, stderr }
}

export function json<T = any> (r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`)
  }
}

/** Starts a long-running command (a node) in its own process group. */
export function background (args: string[], logFile?: string): ChildProcess & { output: () => string } {
  const child = spawn(bin.command, [...bin.args, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  children.add(child)
  let out = ''
  child.stdout?.on('data', d => { out += d })
  child.stderr?.on('data', d => { out += d })
  void logFile
  return Object.assign(child, { output: () => out })
}

export function killTree (child: { pid?: number }, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid == null) return
  try { process.kill(-child.pid, signal) } catch { try { process.kill(child.pid, signal) } catch { /* gone */ } }
}

export function killPid (pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try { process.kill(-pid, signal) } catch { try { process.kill(pid, signal) } catch { /* gone */ } }
}

/** Kills every child and every devnet node started under our temp dirs, then removes the dirs. */
export function cleanup (): void {
  for (const c of children) killTree(c)
  children.clear()
  for (const dir of dirs) {
    try {
      const devnet = JSON.parse(readFileSync(join(dir, 'devnet.json'), 'utf8')) as { nodes: Array<{ pid: number }> }
      for (const n of devnet.nodes) killPid(n.pid)
    } catch { /* not a devnet dir */ }
    rmSync(dir, { recursive: true, force: true })
  }
  dirs.length = 0
}

/** Thrown by a waitUntil probe that knows waiting longer cannot help: it ends the wait with this error. */
export class StopWaiting extends Error {}

export async function waitUntil<T> (what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await probe()
      if (v != null && v !== false) return v
      last = undefined
    } catch (err) {
      if (err instanceof StopWaiting) throw err
      last = err
    }
    await sleep(100)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last != null ? `: ${String(last)}` : ''}`)
}

/** A failing command answers with one clear line: no stack trace. */
export function assertOneLineError (r: CliResult): string {
  const lines = r.stderr.trim().split('\n')
  const last = lines[lines.length - 1]
  if (!last.startsWith('novacron: ')) throw new Error(`expected a 'novacron: ' error line, got stderr:\n${r.stderr}`)
  if (lines.some(l => /^\s+at /.test(l))) throw new Error(`stack trace printed:\n${r.stderr}`)
  return last
}

export async function metricValue (url: string, token: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()
  const line = text.split('\n').find(l => l.startsWith(name + (labels !== '' ? `{${labels}}` : '')))
  return line == null ? 0 : Number(line.split(' ').pop())
}
