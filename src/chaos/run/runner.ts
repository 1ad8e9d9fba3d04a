// One chaos run: real node processes (each in its own network namespace when root, on loopback
// otherwise), a client load recorded as a history, the manifest's faults applied on time and healed, then
// the checks: the history linearizable per key, no acknowledged write lost, every node's log agreeing,
// all nodes converged. Everything the run created is removed at the end, on an error and on Ctrl-C.
import { type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { GENESIS_VERSION, type Genesis } from '../../config/genesis.ts'
import { checkGenesis, genesisParams } from '../../node/protocols.ts'
import { createIdentity } from '../../net/identity.ts'
import { createToken, ensureDataDir, readToken, DATA_FILES } from '../../node/data-dir.ts'
import { createVrfKey } from '../../node/vrf-key.ts'
import { selfCommand } from '../../cli/self.ts'
import { ValidatorSet } from '../../consensus/core/index.ts'
import { checkHistory, type History, type HistoryReport, type Verdict } from '../check/index.ts'
import { LocalEnv, NetnsEnv, killGroup, netnsUnavailable, type ChaosEnv } from './env.ts'
import { NEEDS_NETNS, lastHealS, seededRandom, type Fault, type FaultTarget, type Manifest } from './manifest.ts'
import type { AgentRequest } from './agent.ts'

export interface RunOptions {
  seed: number
  /** Keeps the run's files (history, report, node logs) here; a temp dir otherwise. */
  outDir?: string
  /** Progress lines (stderr in the CLI). */
  progress?: (msg: string) => void
  /** Forces loopback even as root (the tests of the loopback path). */
  local?: boolean
}

export interface FaultEvent { kind: Fault['kind'], atS: number, targets: number[], applied: boolean, note?: string }

export interface RunReport {
  name: string
  protocol: string
  seed: number
  byzantine: Array<{ node: number | 'primary', mode: string }>
  env: 'netns' | 'local'
  envNote: string | null
  outDir: string
  verdict: Verdict
  ok: boolean
  ops: { total: number, ok: number, fail: number, unknown: number, reads: number, writes: number }
  faults: FaultEvent[]
  converged: boolean
  logsAgree: boolean
  lostWrites: number
  /** Seconds from the last heal to the first acknowledged write invoked after it (null: no heal under load). */
  recoveryS: number | null
  viewChangeTimeoutS: number | null
  problems: string[]
}

class AgentClient {
  private next = 1
  private readonly pending = new Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>()
  readonly child: ChildProcess

  constructor (child: ChildProcess) {
    this.child = child
    createInterface({ input: child.stdout! }).on('line', line => {
      let msg: { id: number, value?: unknown, error?: string }
      try { msg = JSON.parse(line) } catch { return }
      const p = this.pending.get(msg.id)
      if (p == null) return
      this.pending.delete(msg.id)
      if (msg.error != null) p.reject(new Error(msg.error))
      else p.resolve(msg.value)
    })
    child.once('exit', () => { for (const p of this.pending.values()) p.reject(new Error('the chaos agent exited')); this.pending.clear() })
  }

  async ask<T> (req: AgentRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never): Promise<T> {
    const id = this.next++
    return await new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child.stdin!.write(JSON.stringify({ ...req, id }) + '\n')
    })
  }
}

export async function runChaos (manifest: Manifest, opts: RunOptions): Promise<RunReport> {
  const progress = opts.progress ?? (() => {})
  const outDir = resolve(opts.outDir ?? mkdtempSync(join(tmpdir(), 'nc-chaos-')))
  mkdirSync(outDir, { recursive: true })
  const runDir = mkdtempSync(join(outDir, 'run-'))
  const n = manifest.nodes
  const unavailable = opts.local === true ? 'loopback requested' : netnsUnavailable()
  const needsProxy = manifest.faults.some(f => f.kind === 'delay')
  const needsTmpfs = manifest.faults.some(f => f.kind === 'disk-full')
  let env: ChaosEnv
  if (unavailable == null) {
    const e = new NetnsEnv({ dir: runDir, nodes: n, proxies: needsProxy, tmpfs: needsTmpfs })
    env = e
  } else {
    env = new LocalEnv({ dir: runDir, note: unavailable })
    const skipped = manifest.faults.filter(f => NEEDS_NETNS.has(f.kind))
    progress(`no network namespaces (${unavailable}): running on loopback${skipped.length > 0 ? `; ${skipped.length} fault(s) that need them are skipped (${[...new Set(skipped.map(f => f.kind))].join(', ')})` : ''}`)
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    env.cleanup()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  const onExit = (): void => env.cleanup()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', onExit)
  try {
    if (env instanceof NetnsEnv) env.setup()
    else await (env as LocalEnv).setup(n)
    return await run(manifest, env, { ...opts, outDir, runDir, progress })
  } finally {
    env.cleanup()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('exit', onExit)
  }
}

async function run (manifest: Manifest, env: ChaosEnv, opts: RunOptions & { outDir: string, runDir: string, progress: (m: string) => void }): Promise<RunReport> {
  const { progress, runDir, outDir } = opts
  const n = manifest.nodes
  const rnd = seededRandom(opts.seed)
  const protocol = manifest.protocol
  // Keys, tokens and the genesis, in process: fast, and the same files `init` and `genesis create` write.
  const dataDirs: string[] = []
  const peerIds: string[] = []
  const validators: Genesis['validators'] = []
  for (let i = 0; i < n; i++) {
    const d = env.dataDir(i)
    ensureDataDir(d)
    const identity = await createIdentity(d)
    createToken(d)
    dataDirs.push(d)
    peerIds.push(identity.peerId)
    validators.push({ peerId: identity.peerId, publicKey: identity.publicKey, addr: env.genesisAddr(i), vrfPublicKey: createVrfKey(d).publicKey })
  }
  const params = { ...genesisParams(protocol, []), ...(manifest.params ?? {}) }
  const genesis: Genesis = { version: GENESIS_VERSION, cluster: `chaos-${manifest.name}`, protocol, createdAt: new Date().toISOString(), params, validators }
  // The protocol's module refuses what it cannot run, naming the limit, before any node starts.
  checkGenesis(genesis, `chaos manifest ${manifest.name}`, 'usage')
  const genesisPath = join(runDir, 'genesis.json')
  writeFileSync(genesisPath, JSON.stringify(genesis, null, 2) + '\n')

  const { command, args } = selfCommand()
  const pids: Array<number | undefined> = []
  const alive: boolean[] = []
  const primary0 = peerIds.indexOf(new ValidatorSet(validators.map(v => ({ id: v.peerId, publicKey: new Uint8Array(32) }))).primary(0))
  const byzantineMode = new Map((manifest.byzantine ?? []).map(b => [b.node === 'primary' ? primary0 : b.node, b.mode]))
  const honest = Array.from({ length: n }, (_, i) => i).filter(i => !byzantineMode.has(i))
  const startNode = (i: number): void => {
    const lie = byzantineMode.get(i)
    const child = env.spawn(i, { command, args: [...args, 'node', 'start', '--data-dir', dataDirs[i], '--genesis', genesisPath, '--listen', env.listen(i), '--admin', env.admin(i), '--log-level', 'warn', ...(lie != null ? ['--byzantine', lie] : [])], log: join(runDir, `node-${i}.log`) })
    pids[i] = child.pid
    alive[i] = true
    child.once('exit', () => { if (pids[i] === child.pid) alive[i] = false })
  }
  progress(`starting ${n} ${protocol} nodes (${env.kind})`)
  for (let i = 0; i < n; i++) startNode(i)
  const agent = new AgentClient(env.spawn(-1, { command: process.execPath, args: [join(import.meta.dirname, 'agent.ts')], log: join(runDir, 'agent.log'), pipes: true }))
  const nodes = dataDirs.map((d, i) => ({ url: `http://${env.admin(i)}`, token: readToken(join(d, DATA_FILES.token)) }))
  await agent.ask({ cmd: 'init', nodes, honest })
  if (byzantineMode.size > 0) progress(`byzantine: ${[...byzantineMode].map(([i, m]) => `node ${i} ${m}`).join(', ')}`)
  const deadline = Date.now() + 90_000
  for (;;) {
    const statuses = await Promise.all(nodes.map((_, i) => agent.ask<any>({ cmd: 'status', node: i })))
    if (honest.every(i => statuses[i] != null && statuses[i].peers.filter((p: any) => p.connected && p.consensus === 'open').length >= n - 1)) break
    if (Date.now() > deadline) throw new Error(`the ${n} nodes did not form a mesh within 90 s (logs in ${runDir})`)
    await sleep(250)
  }

  const resolveTarget = async (t: FaultTarget): Promise<number> => {
    if (typeof t === 'number') return t
    if (t === 'leader') {
      for (let i = 0; i < n; i++) {
        if (!alive[i]) continue
        const s = await agent.ask<any>({ cmd: 'status', node: i }).catch(() => null)
        const at = s?.leader != null ? peerIds.indexOf(s.leader) : -1
        if (at >= 0) return at
      }
    }
    return Math.floor(rnd() * n)
  }

  progress(`load for ${manifest.durationS} s with ${manifest.faults.length} fault(s)`)
  const startedAt = Date.now()
  const agentStart = await agent.ask<number>({ cmd: 'start', load: manifest.load, seed: opts.seed })
  const toAgentClock = (ms: number): number => agentStart + (ms - startedAt)
  const events: FaultEvent[] = []
  const heals: Array<{ at: number, fn: () => void | Promise<void> }> = []
  const timers: NodeJS.Timeout[] = []
  let lastHealAt: number | null = null
  const inFlight: Array<Promise<void>> = []
  const healLater = (forS: number, fn: () => void | Promise<void>): void => {
    const entry = { at: Date.now() + forS * 1000, fn }
    heals.push(entry)
    timers.push(setTimeout(() => {
      const i = heals.indexOf(entry)
      if (i < 0) return
      heals.splice(i, 1)
      lastHealAt = Date.now()
      void Promise.resolve(entry.fn()).catch(err => progress(`heal failed: ${(err as Error).message}`))
    }, forS * 1000))
  }
  manifest.faults.forEach((f, idx) => {
    timers.push(setTimeout(() => {
      inFlight.push((async () => {
        const event: FaultEvent = { kind: f.kind, atS: f.atS, targets: [], applied: false }
        events.push(event)
        if (!env.supports(f.kind)) { event.note = `skipped: ${env.note ?? 'unsupported here'}`; return }
        try {
          const tag = `chaos_f${idx}`
          switch (f.kind) {
            case 'kill': {
              const t = await resolveTarget(f.target)
              event.targets = [t]
              killGroup(pids[t], 'SIGKILL')
              alive[t] = false
              if (f.restartAfterS != null) healLater(f.restartAfterS, () => { if (!alive[t]) startNode(t) })
              break
            }
            case 'pause': {
              const t = await resolveTarget(f.target)
              event.targets = [t]
              killGroup(pids[t], 'SIGSTOP')
              healLater(f.forS, () => killGroup(pids[t], 'SIGCONT'))
              break
            }
            case 'partition': {
              let groups = f.groups
              if (groups == null) {
                const t = await resolveTarget(f.isolate ?? 'random')
                groups = [[t], Array.from({ length: n }, (_, i) => i).filter(i => i !== t)]
              }
              event.targets = [...new Set(groups.flat())]
              event.note = groups.map(g => `[${g.join(',')}]`).join(' | ')
              env.partition(tag, groups)
              healLater(f.forS, () => env.heal(tag))
              break
            }
            case 'loss': {
              const t = await resolveTarget(f.target)
              event.targets = [t]
              env.loss(tag, t, f.percent)
              healLater(f.forS, () => env.heal(tag, t))
              break
            }
            case 'cap': {
              const t = await resolveTarget(f.target)
              event.targets = [t]
              env.cap(`cap_${tag}`, t, f.mbit)
              healLater(f.forS, () => env.heal(`cap_${tag}`, t))
              break
            }
            case 'delay': {
              const t = await resolveTarget(f.target)
              event.targets = [t]
              env.delay(t, f.ms)
              healLater(f.forS, () => env.delay(t, 0))
              break
            }
            case 'disk-full': {
              const t = await resolveTarget(f.target)
              event.targets = [t]
              env.fillDisk(t)
              healLater(f.forS, async () => {
                env.freeDisk(t)
                if (f.restart !== true) return
                killGroup(pids[t], 'SIGKILL')
                alive[t] = false
                await sleep(200)
                startNode(t)
              })
              break
            }
          }
          event.applied = true
          progress(`t=${((Date.now() - startedAt) / 1000).toFixed(1)}s ${f.kind} ${event.targets.join(',')}${event.note != null ? ` ${event.note}` : ''}`)
        } catch (err) {
          event.note = `failed: ${(err as Error).message.split('\n')[0]}`
          progress(`fault ${f.kind} failed: ${event.note}`)
        }
      })())
    }, f.atS * 1000))
  })

  await sleep(manifest.durationS * 1000)
  const ops = await agent.ask<any[]>({ cmd: 'stop' })
  await Promise.all(inFlight)
  for (const t of timers) clearTimeout(t)
  // Whatever is still broken is healed now, and every node runs again, before the checks.
  for (const h of heals.splice(0)) await Promise.resolve(h.fn()).catch(() => {})
  for (let i = 0; i < n; i++) { killGroup(pids[i], 'SIGCONT'); if (!alive[i]) startNode(i) }
  progress('healed; waiting for the nodes to converge')
  const convergence = await agent.ask<{ ok: boolean, heads: unknown[] }>({ cmd: 'converged', timeoutMs: 60_000 })
  const logs = await agent.ask<History['logs']>({ cmd: 'logs' })
  const history: History = { format: 'novacron-history/1', ops, logs }
  writeFileSync(join(outDir, 'history.json'), JSON.stringify(history) + '\n')
  const check: HistoryReport = checkHistory(history, { maxSteps: 5_000_000 })

  const healTimeAgent = lastHealAt != null ? toAgentClock(lastHealAt) : null
  const planned = lastHealS(manifest)
  let recoveryS: number | null = null
  if (healTimeAgent != null && planned < manifest.durationS) {
    const after = ops.filter(o => o.f === 'write' && o.outcome === 'ok' && o.invoke >= healTimeAgent).sort((a, b) => a.complete - b.complete)[0]
    if (after != null) recoveryS = Math.round((after.complete - healTimeAgent) / 10) / 100
  }
  const problems = [...check.problems]
  if (!convergence.ok) problems.push(`nodes did not converge within 60 s after healing: ${JSON.stringify(convergence.heads)}`)
  const report: RunReport = {
    name: manifest.name,
    protocol,
    seed: opts.seed,
    byzantine: manifest.byzantine ?? [],
    env: env.kind,
    envNote: env.note,
    outDir,
    verdict: check.verdict,
    ok: check.verdict === 'linearizable' && convergence.ok,
    ops: {
      total: ops.length,
      ok: ops.filter(o => o.outcome === 'ok').length,
      fail: ops.filter(o => o.outcome === 'fail').length,
      unknown: ops.filter(o => o.outcome === 'unknown').length,
      reads: ops.filter(o => o.f === 'read').length,
      writes: ops.filter(o => o.f === 'write').length
    },
    faults: events.sort((a, b) => a.atS - b.atS),
    converged: convergence.ok,
    logsAgree: check.logs?.agree ?? false,
    lostWrites: check.logs?.lost.length ?? 0,
    recoveryS,
    viewChangeTimeoutS: typeof (params as Record<string, unknown>).viewChangeTimeoutMs === 'number' ? (params as Record<string, number>).viewChangeTimeoutMs / 1000 : null,
    problems
  }
  writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n')
  agent.child.stdin?.end()
  return report
}
