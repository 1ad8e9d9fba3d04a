// A simulated network described as data: who is faulty and how, and what goes wrong when. A scenario is
// a pure function of (seed, n, adversary, signature mode), which is all a replay command needs.
import { availableProtocols, protocolModule } from '../registry.ts'
import { Prng } from './prng.ts'
import type { SimParams, SimProtocolName } from './protocols.ts'

/** An adversary's name; each module lists the ones its suite cycles through (src/consensus/sim/adversary.ts). */
export type AdversaryKind = string

/** The validator ids of a simulated cluster of n, node i being validator i of the canonical order. */
export const simNodeIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `node-${String(i).padStart(2, '0')}`)

/** A protocol's adversaries, in the order its suite's seed plan cycles through them. */
export const adversariesOf = (protocol: SimProtocolName): readonly AdversaryKind[] => protocolModule(protocol).sim.adversaries

/** Between `at` and `heal`, nodes in different groups cannot reach each other. */
export interface Partition { readonly at: number, readonly heal: number, readonly groups: readonly (readonly number[])[] }
/** An honest node stops at `at` and restarts from its WAL and state at `restart`. */
export interface Crash { readonly node: number, readonly at: number, readonly restart: number }

/** Link conditions beyond the latency model (the consensus-latency data generator and timeout bench set
 *  them; absent, links are exactly the latency model and the trace is unchanged). */
export interface LinkConditions {
  /** Multiplies every one-way delay of the latency model. */
  readonly latencyScale: number
  /** Per message, the chance of a delay spike, and the spike's mean (exponentially distributed) in ms. */
  readonly spikeChance: number
  readonly spikeMeanMs: number
  /** Present: a spike is uniform in [spikeMinMs, spikeMaxMs] instead of exponential (the timeout bench's heavy spikes). */
  readonly spikeMinMs?: number
  readonly spikeMaxMs?: number
  /** Serialisation: a message of B bytes takes B / bytesPerMs ms more (0: no bandwidth limit). */
  readonly bytesPerMs: number
}

export interface Scenario {
  readonly protocol: SimProtocolName
  readonly seed: number
  readonly n: number
  readonly adversary: AdversaryKind
  /** Indices of the nodes running the adversary (at most f). */
  readonly byzantine: readonly number[]
  readonly realSignatures: boolean
  readonly txs: number
  readonly submitUntilMs: number
  readonly clientRetryMs: number
  /** Probabilities per message, applied until stabilizeAtMs. */
  readonly loss: number
  readonly duplicate: number
  readonly reorder: number
  readonly partitions: readonly Partition[]
  readonly crashes: readonly Crash[]
  /** After this the network is reliable, partitions healed and crashed nodes back. */
  readonly stabilizeAtMs: number
  /** Every transaction must commit within this long after max(submission, stabilization). */
  readonly livenessBoundMs: number
  readonly maxTimeMs: number
  readonly params: SimParams
  /** Optional link conditions (see LinkConditions). */
  readonly links?: LinkConditions
  /** Pads every client transaction to this many bytes (absent: short tags). */
  readonly txBytes?: number
}

export interface ScenarioChoice {
  readonly protocol?: SimProtocolName
  readonly seed: number
  readonly n?: number
  readonly adversary?: AdversaryKind
  readonly realSignatures?: boolean
}

export function scenarioFor (choice: ScenarioChoice): Scenario {
  const protocol = choice.protocol ?? availableProtocols()[0]
  const sim = protocolModule(protocol).sim
  const rng = new Prng(choice.seed ^ 0x5eed)
  const n = choice.n ?? rng.pick(sim.sizes)
  const f = Math.floor((n - 1) / 3)
  const adversary = choice.adversary ?? rng.pick(adversariesOf(protocol))
  // Half the runs put the first primary among the faulty, so every adversary meets a view change.
  let byzantine: number[] = []
  if (adversary !== 'none') {
    // At most f: a cluster that tolerates none (n < 4) runs the adversary on nobody.
    const count = Math.min(f, 1 + rng.int(f))
    const pool = rng.shuffle(Array.from({ length: n - 1 }, (_, i) => i + 1))
    if (rng.chance(0.5) && count > 0) byzantine.push(0)
    while (byzantine.length < count) byzantine.push(pool.pop() as number)
    byzantine.sort((a, b) => a - b)
    // Drawn above either way, so the random stream (and every other protocol's scenarios) stay as they were.
    const placed = sim.placeByzantine?.(adversary, simNodeIds(n))
    if (placed !== undefined && placed.length <= f) byzantine = [...placed]
  }
  const honest = Array.from({ length: n }, (_, i) => i).filter((i) => !byzantine.includes(i))
  const partitions: Partition[] = []
  if (rng.chance(0.35)) {
    const at = rng.range(500, 5000)
    const shuffled = rng.shuffle(Array.from({ length: n }, (_, i) => i))
    // Either a minority cut off, or a split where no side has a quorum.
    const cut = rng.chance(0.5) ? 1 + rng.int(f) : Math.floor(n / 2)
    partitions.push({ at, heal: at + rng.range(1000, 5000), groups: [shuffled.slice(0, cut), shuffled.slice(cut)] })
  }
  const crashes: Crash[] = []
  if (rng.chance(0.35)) {
    const node = rng.pick(honest)
    const at = rng.range(500, 6000)
    crashes.push({ node, at, restart: at + rng.range(500, 5000) })
    // Half of a DAG protocol's crashes outlast the garbage-collection depth: only state transfer brings them back.
    if (sim.longCrashes && rng.chance(0.5)) crashes[0] = { node, at, restart: at + rng.range(9000, 16_000) }
  }
  const faultsEnd = Math.max(0, ...partitions.map((p) => p.heal), ...crashes.map((c) => c.restart))
  const submitUntilMs = rng.range(2000, 6000)
  const stabilizeAtMs = Math.max(faultsEnd, submitUntilMs) + 500
  return {
    protocol,
    seed: choice.seed,
    n,
    adversary,
    byzantine,
    realSignatures: choice.realSignatures ?? false,
    txs: 200 + rng.int(40),
    submitUntilMs,
    clientRetryMs: 4000,
    loss: rng.chance(0.5) ? rng.range(0, 0.03) : 0,
    duplicate: rng.chance(0.5) ? rng.range(0, 0.03) : 0,
    reorder: rng.chance(0.5) ? rng.range(0, 0.1) : 0,
    partitions,
    crashes,
    stabilizeAtMs,
    livenessBoundMs: 60_000,
    maxTimeMs: stabilizeAtMs + 120_000,
    params: sim.params as SimParams
  }
}

/** The one command line that replays a scenario. */
export function replayCommand (s: Scenario, extra = ''): string {
  return `npx node src/consensus/sim/replay.ts --protocol ${s.protocol} --seed ${s.seed} --n ${s.n} --adversary ${s.adversary}` +
    (s.realSignatures ? ' --real-signatures' : '') + (extra === '' ? '' : ` ${extra}`)
}
