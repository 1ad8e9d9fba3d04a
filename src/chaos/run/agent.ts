// The chaos run's client: it runs where the nodes' admin APIs are reachable (the run's hub namespace, or
// loopback), drives the load (kv puts and linearizable gets, recorded with invoke and completion times and
// their outcome), and answers the runner's questions (status, convergence, logs) as JSON lines on stdio.
//   node src/chaos/run/agent.ts    (spawned by the runner; one request per stdin line, one answer per stdout line)
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LogEntry, RegisterOp } from '../check/history.ts'
import { seededRandom, type LoadSpec } from './manifest.ts'

export interface AgentNode { url: string, token: string }

export type AgentRequest =
  | { id: number, cmd: 'init', nodes: AgentNode[], honest?: number[] }
  | { id: number, cmd: 'status', node: number }
  | { id: number, cmd: 'start', load: LoadSpec, seed: number }
  | { id: number, cmd: 'stop' }
  | { id: number, cmd: 'converged', timeoutMs: number }
  | { id: number, cmd: 'logs' }

const HISTORY_START = performance.now()
const now = (): number => Math.round((performance.now() - HISTORY_START) * 1000) / 1000

class Agent {
  nodes: AgentNode[] = []
  /** The nodes clients talk to and the checks read (all but the Byzantine ones). */
  honest: number[] = []
  ops: Array<RegisterOp & { node: number }> = []
  private running = false
  private workers: Array<Promise<void>> = []

  async call (node: number, method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number, json: any } | { error: string, refused: boolean }> {
    const n = this.nodes[node]
    try {
      const res = await fetch(n.url + path, {
        method,
        headers: { authorization: `Bearer ${n.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs)
      })
      const text = await res.text()
      let json: any = null
      try { json = JSON.parse(text) } catch { /* not JSON */ }
      return { status: res.status, json }
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code
      return { error: String((err as Error).message), refused: code === 'ECONNREFUSED' }
    }
  }

  async status (node: number): Promise<any> {
    const r = await this.call(node, 'GET', '/v1/status', undefined, 2000)
    return 'status' in r && r.status === 200 ? r.json : null
  }

  start (load: LoadSpec, seed: number): void {
    this.running = true
    const rnd = seededRandom(seed)
    for (let c = 0; c < load.clients; c++) {
      this.workers.push((async () => {
        let n = 0
        while (this.running) {
          const key = `k${Math.floor(rnd() * load.keys)}`
          const node = this.honest[Math.floor(rnd() * this.honest.length)]
          if (rnd() < load.readRatio) await this.read(c, node, key, load)
          else await this.write(c, node, key, `c${c}-${n++}`, load)
          if (load.thinkMs > 0) await sleep(load.thinkMs)
        }
      })())
    }
  }

  private async write (client: number, node: number, key: string, value: string, load: LoadSpec): Promise<void> {
    const invoke = now()
    const r = await this.call(node, 'POST', '/v1/kv/put', { key, value, timeoutMs: load.timeoutMs }, load.timeoutMs + 2000)
    const complete = now()
    const base = { process: `c${client}`, key, f: 'write' as const, value, invoke, node }
    if ('status' in r && r.status === 200) { this.ops.push({ ...base, complete, outcome: 'ok', txId: r.json.txId, height: r.json.height }); return }
    // Refused before it reached the node, or refused by it without admitting the transaction: it did not happen.
    const refused = 'refused' in r ? r.refused : [400, 401, 404, 413].includes(r.status) || (r.status === 503 && r.json?.error?.code === 'mempool_full')
    this.ops.push(refused ? { ...base, complete, outcome: 'fail' } : { ...base, complete: null, outcome: 'unknown' })
  }

  private async read (client: number, node: number, key: string, load: LoadSpec): Promise<void> {
    const invoke = now()
    const r = await this.call(node, 'GET', `/v1/kv/get?key=${encodeURIComponent(key)}&linearizable=1`, undefined, load.timeoutMs + 2000)
    const complete = now()
    const ok = 'status' in r && r.status === 200
    this.ops.push({ process: `c${client}`, key, f: 'read', value: ok ? r.json.value : null, invoke, complete, outcome: ok ? 'ok' : 'fail', node })
  }

  async stop (): Promise<Array<RegisterOp & { node: number }>> {
    this.running = false
    await Promise.all(this.workers)
    this.workers = []
    return this.ops
  }

  async converged (timeoutMs: number): Promise<{ ok: boolean, heads: Array<{ height: number, stateRoot: string | null } | null> }> {
    const deadline = Date.now() + timeoutMs
    let heads: Array<{ height: number, stateRoot: string | null } | null> = []
    let settle = 0
    while (Date.now() < deadline) {
      const all = await Promise.all(this.honest.map(i => this.status(i)))
      heads = all.map(s => s == null ? null : { height: s.height, stateRoot: s.stateRoot, mempool: s.mempool })
      if (all.every(s => s != null && s.height === all[0].height && s.stateRoot === all[0].stateRoot && s.mempool === 0)) return { ok: true, heads }
      // A node that fell behind catches up at the next checkpoint, which only new commits bring: keep a
      // trickle of writes (to keys outside the checked ones) going until every node has caught up.
      const target = this.honest[settle++ % this.honest.length]
      await this.call(target, 'POST', '/v1/kv/put', { key: `chaos-settle/${settle}`, value: String(settle), wait: false }, 2000)
      await sleep(100)
    }
    return { ok: false, heads }
  }

  async logs (): Promise<Record<string, LogEntry[]>> {
    const out: Record<string, LogEntry[]> = {}
    for (const i of this.honest) {
      const entries: LogEntry[] = []
      for (let from = 1; ;) {
        const r = await this.call(i, 'GET', `/v1/log?from=${from}&limit=1000`, undefined, 10_000)
        if (!('status' in r) || r.status !== 200 || !Array.isArray(r.json) || r.json.length === 0) break
        for (const e of r.json) entries.push({ height: e.height, batchId: e.batchId, stateRoot: e.stateRoot, txIds: e.txIds })
        from = r.json.at(-1).height + 1
      }
      out[`node-${i}`] = entries
    }
    return out
  }
}

export async function serveAgent (input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<void> {
  const agent = new Agent()
  const reply = (v: unknown): void => { output.write(JSON.stringify(v) + '\n') }
  for await (const line of createInterface({ input })) {
    if (line.trim() === '') continue
    const req = JSON.parse(line) as AgentRequest
    // Requests run concurrently (a status question while the load runs); each answer names its request.
    void (async () => {
      try {
        switch (req.cmd) {
          case 'init': agent.nodes = req.nodes; agent.honest = req.honest ?? req.nodes.map((_, i) => i); reply({ id: req.id, value: true }); break
          case 'status': reply({ id: req.id, value: await agent.status(req.node) }); break
          case 'start': agent.start(req.load, req.seed); reply({ id: req.id, value: now() }); break
          case 'stop': reply({ id: req.id, value: await agent.stop() }); break
          case 'converged': reply({ id: req.id, value: await agent.converged(req.timeoutMs) }); break
          case 'logs': reply({ id: req.id, value: await agent.logs() }); break
        }
      } catch (err) {
        reply({ id: req.id, error: String((err as Error).message) })
      }
    })()
  }
}

if (process.argv[1] != null && import.meta.filename === process.argv[1]) await serveAgent()
