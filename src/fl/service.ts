// Federated learning between the nodes of a cluster. The coordinator is the current consensus leader:
// it picks the round's participants with a selection policy from what the node knows of its links (DWCP's
// RTT, bandwidth and tier; peer reliability), sends them the global model, waits for their updates until
// the round deadline, averages them (FedAvg by samples) and publishes the result as a versioned ONNX
// model. Every node rebuilds the ONNX file from the published tensors, checks its hash, and switches to
// it only if its own held-out windows say it is no worse than the model it runs. Only tensors and
// scalars travel (messages.ts): the link history never leaves the node.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LstmWeights } from '../ml/train/lstm.ts'
import { readTraces } from '../ml/data/bandwidth.ts'
import { OFFSET, encodeMbps } from '../ml/features/bandwidth.ts'
import { windows } from '../ml/tasks/bandwidth.ts'
import { mulberry32 } from '../ml/train/random.ts'
import { fedAvg } from './fedavg.ts'
import { decodeMessage, encodeMessage, type FlMessage } from './messages.ts'
import { runRound, realClock, type Clock } from './round.ts'
import { POLICIES, createPolicy, type ClientInfo, type PolicyName, type SelectionPolicy } from './selection.ts'
import { histogram } from './data.ts'
import { LINKS_DIR, dirSignature } from './link-history.ts'
import { initialLstm, lstmToTensors, tensorsToLstm } from './weights.ts'
import type { Tensor } from './tensors.ts'

export const HIDDEN = 8
const LOCAL_STEPS = 5
const BATCH = 32
const LEARNING_RATE = 0.01
const MAX_HISTORY = 1000
const RECORD_TIMEOUT_MS = 10_000

/** The replicated-state key of a published version: `fl/model/000001`, ordered by version. */
export const flModelKey = (version: number): string => `fl/model/${String(version).padStart(6, '0')}`

export interface FlPeerLink { mbps: number | null, rttMs: number | null }

export interface FlServiceOptions {
  self: string
  dataDir: string
  /** Every validator, this node included. */
  members: () => string[]
  /** The current consensus leader, or null while there is none. */
  leader: () => string | null
  request: (peer: string, payload: Uint8Array, timeoutMs: number) => Promise<Uint8Array>
  link: (peer: string) => FlPeerLink
  reliability: (peer: string) => number | null
  log: (level: 'info' | 'warn', msg: string) => void
  /** Writes a published version into the replicated state (the node: a kv put through consensus). */
  record?: (key: string, value: string) => Promise<void>
  clock?: Clock
}

export interface FlVersion {
  version: number
  round: number
  sha256: string
  participants: string[]
  updates: number
  late: string[]
  failed: string[]
  bytes: number
  /** From the first train request to the round's close (all updates in, or the deadline). */
  collectMs: number
  /** The whole round: collection, averaging and publication. */
  roundMs: number
  /** Loss of the new model on the coordinator's held-out windows. */
  loss: number | null
  /** Each node's verdict: its local loss of the new model and of the one it ran, and whether it switched. */
  verdicts: Array<{ node: string, accepted: boolean, newLoss: number | null, currentLoss: number | null }>
  publishedAt: string
}

export interface FlStatus {
  node: string
  coordinator: string | null
  isCoordinator: boolean
  running: boolean
  round: number
  participants: string[]
  bytesMoved: number
  localWindows: number
  current: { version: number, sha256: string, localLoss: number | null } | null
  versions: number
}

interface LocalData { x: Float32Array[], y: number[], hx: Float32Array[], hy: number[] }

export class FlService {
  private readonly o: FlServiceOptions
  private readonly clock: Clock
  private global: { version: number, weights: LstmWeights }
  private current: { version: number, sha256: string, weights: LstmWeights, localLoss: number | null } | null = null
  private readonly history: FlVersion[] = []
  private readonly reported = new Map<string, { samples: number, durationS: number }>()
  private running = false
  private round = 0
  private participants: string[] = []
  private bytesMoved = 0
  private data: LocalData | null = null
  private dataSignature = ''

  constructor (o: FlServiceOptions) {
    this.o = o
    this.clock = o.clock ?? realClock
    this.global = { version: 0, weights: initialLstm(HIDDEN, 1) }
  }

  /** The node's recorded link history under <dataDir>/fl/links: `time_s Mbit/s` traces (the node records
   *  its own DWCP sends there: link-history.ts) or 5Gophers-style CSV runs. Read again once it has grown. */
  private local (): LocalData {
    const dir = join(this.o.dataDir, LINKS_DIR)
    const signature = dirSignature(dir)
    if (this.data != null && signature === this.dataSignature) return this.data
    this.dataSignature = signature
    const w = existsSync(dir) ? windows(readTraces(dir)) : { x: [], y: [], history: [] }
    const d: LocalData = { x: [], y: [], hx: [], hy: [] }
    // Every fifth window is held out for the node's own verdict on a published model.
    w.x.forEach((x, i) => { if (i % 5 === 4) { d.hx.push(x); d.hy.push(encodeMbps(w.y[i])) } else { d.x.push(x); d.y.push(encodeMbps(w.y[i])) } })
    this.data = d
    return d
  }

  private async localLoss (w: LstmWeights): Promise<number | null> {
    const d = this.local()
    if (d.hx.length === 0) return null
    const { lstmForward } = await import('../ml/train/lstm.ts')
    return d.hx.reduce((a, x, i) => a + Math.abs(lstmForward(w, x) - d.hy[i]), 0) / d.hx.length
  }

  coordinator (): string | null {
    const leader = this.o.leader()
    if (leader != null) return leader
    // No leader known (a DAG protocol): the lowest id, which every node computes alike.
    return [...this.o.members()].sort()[0] ?? null
  }

  status (): FlStatus {
    const c = this.coordinator()
    return {
      node: this.o.self,
      coordinator: c,
      isCoordinator: c === this.o.self,
      running: this.running,
      round: this.round,
      participants: this.participants,
      bytesMoved: this.bytesMoved,
      localWindows: this.local().x.length,
      current: this.current == null ? null : { version: this.current.version, sha256: this.current.sha256, localLoss: this.current.localLoss },
      versions: this.history.length
    }
  }

  versions (): FlVersion[] { return [...this.history] }

  /** The latest global model this node knows (coordinated or received). */
  globalModel (): { version: number, weights: LstmWeights } { return this.global }

  /** Starts `rounds` rounds: here if this node coordinates, else asks the coordinator. */
  async start (rounds: number, policy: PolicyName, deadlineMs: number): Promise<{ coordinator: string, started: boolean }> {
    const c = this.coordinator()
    if (c == null) throw new Error('no coordinator: the node has no validators')
    if (c !== this.o.self) {
      const reply = await this.ask(c, { type: 'start', rounds, policy: POLICIES.indexOf(policy), deadlineMs }, 10_000)
      if (reply.type === 'refuse') throw new Error(`coordinator ${c}: ${reply.reason}`)
      return { coordinator: c, started: reply.type === 'started' && reply.accepted }
    }
    if (this.running) return { coordinator: c, started: false }
    this.running = true
    void this.runRounds(rounds, createPolicy(policy), deadlineMs).catch(err => this.o.log('warn', `fl: rounds stopped: ${(err as Error).message}`)).finally(() => { this.running = false })
    return { coordinator: c, started: true }
  }

  private async ask (peer: string, m: FlMessage, timeoutMs: number): Promise<FlMessage> {
    const bytes = await encodeMessage(m)
    const reply = await this.o.request(peer, bytes, timeoutMs)
    this.bytesMoved += bytes.byteLength + reply.byteLength
    const r = await decodeMessage(reply)
    if (!r.ok) throw new Error(r.error)
    return r.value
  }

  private clientInfo (id: string): ClientInfo {
    const l = id === this.o.self ? { mbps: null, rttMs: 0 } : this.o.link(id)
    const rep = this.reported.get(id)
    return {
      id,
      samples: rep?.samples ?? 1,
      linkMbps: l.mbps ?? 1000,
      rttMs: l.rttMs ?? 1000,
      reliability: id === this.o.self ? 1 : (this.o.reliability(id) ?? 0.9),
      histogram: [1],
      durationS: rep?.durationS ?? (l.rttMs ?? 1000) / 1000
    }
  }

  private async runRounds (rounds: number, policy: SelectionPolicy, deadlineMs: number): Promise<void> {
    const rand = mulberry32(this.global.version + 1)
    for (let i = 0; i < rounds; i++) {
      if (this.coordinator() !== this.o.self) { this.o.log('warn', 'fl: no longer the leader; stopping'); return }
      const round = ++this.round
      const members = this.o.members()
      const chosen = policy.select(members.map(m => this.clientInfo(m)), Math.max(1, Math.ceil(members.length / 2)), round, rand)
      this.participants = chosen
      const start = this.clock.now()
      const before = this.bytesMoved
      const global = this.global
      const tensors = lstmToTensors(global.weights)
      const outcome = await runRound(chosen, deadlineMs, this.clock, async (id, signal) => {
        if (id === this.o.self) return await this.train({ round, modelVersion: global.version, localSteps: LOCAL_STEPS, tensors }, signal)
        const reply = await this.ask(id, { type: 'train', round, modelVersion: global.version, deadlineMs, localSteps: LOCAL_STEPS, tensors }, deadlineMs)
        if (reply.type !== 'update' || reply.round !== round) throw new Error(reply.type === 'refuse' ? reply.reason : `unexpected ${reply.type}`)
        return reply
      })
      const updates = outcome.results.filter(r => r.value.samples > 0)
      for (const r of outcome.results) this.reported.set(r.id, { samples: r.value.samples, durationS: r.elapsedMs / 1000 })
      policy.observe({ round, results: outcome.results.map(r => ({ id: r.id, loss: r.value.loss, samples: r.value.samples, durationS: r.elapsedMs / 1000 })) })
      if (updates.length === 0) {
        this.o.log('warn', `fl: round ${round} had no updates (late: ${outcome.late.length}, failed: ${outcome.failed.length})`)
        continue
      }
      const w = tensorsToLstm(fedAvg(updates.map(u => ({ samples: u.value.samples, tensors: u.value.tensors }))))
      if (!w.ok) throw new Error(w.error)
      const version = global.version + 1
      const sha256 = await this.onnxSha(w.value, version)
      this.global = { version, weights: w.value }
      const published = lstmToTensors(w.value)
      const verdicts: FlVersion['verdicts'] = []
      await Promise.all(members.map(async m => {
        try {
          const v = m === this.o.self ? await this.accept({ type: 'publish', round, modelVersion: version, sha256, tensors: published }) : await this.ask(m, { type: 'publish', round, modelVersion: version, sha256, tensors: published }, deadlineMs)
          if (v.type === 'verdict') verdicts.push({ node: m, accepted: v.accepted, newLoss: Number.isFinite(v.newLoss) ? v.newLoss : null, currentLoss: Number.isFinite(v.currentLoss) ? v.currentLoss : null })
          else verdicts.push({ node: m, accepted: false, newLoss: null, currentLoss: null })
        } catch {
          verdicts.push({ node: m, accepted: false, newLoss: null, currentLoss: null })
        }
      }))
      verdicts.sort((a, b) => a.node < b.node ? -1 : 1)
      this.history.push({
        version, round, sha256, participants: chosen, updates: updates.length, late: outcome.late, failed: outcome.failed.map(f => f.id),
        bytes: this.bytesMoved - before, collectMs: outcome.elapsedMs, roundMs: this.clock.now() - start, loss: await this.localLoss(w.value), verdicts, publishedAt: new Date(this.clock.now()).toISOString()
      })
      if (this.history.length > MAX_HISTORY) this.history.shift()
      try {
        // Bounded: a cluster that cannot commit (a quorum down) must not stop the rounds.
        const stop = new AbortController()
        const recorded = this.o.record?.(flModelKey(version), JSON.stringify({ version, round, sha256, participants: chosen, updates: updates.map(u => u.id) })).then(() => true)
        const done = await Promise.race([recorded ?? Promise.resolve(true), this.clock.sleep(RECORD_TIMEOUT_MS, stop.signal).then(() => false)])
        stop.abort()
        if (!done) throw new Error(`no commit within ${RECORD_TIMEOUT_MS} ms`)
      } catch (err) {
        this.o.log('warn', `fl: version ${version} not recorded in the replicated state: ${(err as Error).message}`)
      }
      this.o.log('info', `fl: round ${round} published version ${version} (${updates.length}/${chosen.length} updates, sha256 ${sha256.slice(0, 12)})`)
    }
  }

  /** The ONNX bytes of a version: the same tensors give the same file, and so the same hash, on every node. */
  private async onnxBytes (w: LstmWeights, version: number): Promise<Uint8Array> {
    const { exportLstm } = await import('../ml/train/lstm.ts')
    return exportLstm([{ w, output: 'mbpsMedian' }], { name: `bandwidth-fl-v${version}`, doc: `bandwidth forecaster (median head), federated version ${version}`, input: 'history', offset: OFFSET })
  }

  private async onnxSha (w: LstmWeights, version: number): Promise<string> {
    return createHash('sha256').update(await this.onnxBytes(w, version)).digest('hex')
  }

  private async train (m: { round: number, modelVersion: number, localSteps: number, tensors: Tensor[] }, signal: AbortSignal): Promise<Extract<FlMessage, { type: 'update' }>> {
    const start = this.clock.now()
    const w = tensorsToLstm(m.tensors)
    if (!w.ok) throw new Error(w.error)
    const d = this.local()
    if (d.x.length === 0) return { type: 'update', round: m.round, samples: 0, loss: 0, durationMs: 0, tensors: m.tensors }
    const { fitLstm } = await import('../ml/train/lstm.ts')
    const fit = await fitLstm(d.x, d.y, 1, { hidden: w.value.hidden, steps: Math.min(m.localSteps, 100), batch: BATCH, learningRate: LEARNING_RATE, seed: m.round, optimizer: 'adam' }, w.value)
    if (signal.aborted) throw new Error('round deadline passed')
    return { type: 'update', round: m.round, samples: fit.samples, loss: fit.loss, durationMs: this.clock.now() - start, tensors: lstmToTensors(fit.weights) }
  }

  /** A published version: rebuild its ONNX file, check the hash, keep it, switch if no worse here. */
  private async accept (m: Extract<FlMessage, { type: 'publish' }>): Promise<Extract<FlMessage, { type: 'verdict' }>> {
    const w = tensorsToLstm(m.tensors)
    if (!w.ok) throw new Error(w.error)
    const bytes = await this.onnxBytes(w.value, m.modelVersion)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    if (sha256 !== m.sha256) throw new Error(`published model ${m.modelVersion}: hash ${sha256.slice(0, 12)} is not the announced ${m.sha256.slice(0, 12)}`)
    const dir = join(this.o.dataDir, 'fl', 'models')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `bandwidth-fl-v${m.modelVersion}.onnx`), bytes)
    const newLoss = await this.localLoss(w.value)
    // The model the node runs before any FL version is the last-value forecast (version 0's zero head).
    const currentLoss = this.current?.localLoss ?? await this.localLoss(initialLstm(HIDDEN, 1))
    const accepted = newLoss == null || currentLoss == null || newLoss <= currentLoss
    if (accepted) this.current = { version: m.modelVersion, sha256, weights: w.value, localLoss: newLoss }
    if (m.modelVersion > this.global.version) this.global = { version: m.modelVersion, weights: w.value }
    if (!this.history.some(h => h.version === m.modelVersion) && this.coordinator() !== this.o.self) {
      this.history.push({ version: m.modelVersion, round: m.round, sha256, participants: [], updates: 0, late: [], failed: [], bytes: 0, collectMs: 0, roundMs: 0, loss: newLoss, verdicts: [{ node: this.o.self, accepted, newLoss, currentLoss }], publishedAt: new Date(this.clock.now()).toISOString() })
      if (this.history.length > MAX_HISTORY) this.history.shift()
    }
    return { type: 'verdict', modelVersion: m.modelVersion, accepted, newLoss: newLoss ?? NaN, currentLoss: currentLoss ?? NaN }
  }

  /** Serves the FL protocol. Refusals are messages; nothing a peer sends can throw past here. */
  async handle (from: string, payload: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const refuse = async (reason: string): Promise<Uint8Array> => await encodeMessage({ type: 'refuse', reason })
    try {
      const r = await decodeMessage(payload)
      if (!r.ok) return await refuse(r.error)
      const m = r.value
      const c = this.coordinator()
      switch (m.type) {
        case 'train':
          if (from !== c) return await refuse(`${from.slice(-8)} is not the coordinator`)
          return await encodeMessage(await this.train(m, signal))
        case 'publish':
          if (from !== c) return await refuse(`${from.slice(-8)} is not the coordinator`)
          return await encodeMessage(await this.accept(m))
        case 'start': {
          const policy = POLICIES[m.policy]
          if (policy === undefined || m.rounds < 1 || m.rounds > 1000 || m.deadlineMs < 100 || m.deadlineMs > 600_000) return await refuse('bad start request')
          if (c !== this.o.self) return await refuse('not the coordinator')
          return await encodeMessage({ type: 'started', accepted: (await this.start(m.rounds, policy, m.deadlineMs)).started })
        }
        default:
          return await refuse(`unexpected ${m.type}`)
      }
    } catch (err) {
      return await refuse((err as Error).message)
    }
  }

  /** The node's link history summary (what TCS would share): bins of its windows, not the windows. */
  summary (): number[] { return histogram(this.local().y) }
}
