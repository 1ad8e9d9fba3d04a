// Wires the adaptive view-change / leader timeout into a running node: the genesis protocol's adaptive
// timer and bounds, the consensus-latency model through the registry's worker (when shipped) behind its
// guard, ping RTTs from the peer table once a second, and the consensus host's submissions and commits.
import type { Genesis } from '../config/genesis.ts'
import type { Logger } from '../log/index.ts'
import { decodeLatency, encodeLatency } from '../ml/features/consensus-latency.ts'
import type { GuardBoard } from '../ml/guard.ts'
import type { ModelRegistry } from '../ml/registry.ts'
import type { LinearModel } from '../ml/train/linear.ts'
import { AdaptiveTimeout, type TimeoutState } from './adaptive-timeout.ts'
import type { ConsensusHost } from './consensus-host.ts'
import { checkGenesis } from './protocols.ts'

export interface RunningTimeout { state (): TimeoutState, stop (): void }

/** Seconds between the node's RTT refreshes and interval checks (intervals themselves are 2 s). */
const TICK_MS = 1000

export function openAdaptiveTimeout (o: { genesis: Genesis, consensus: ConsensusHost, models: ModelRegistry | null, guards: GuardBoard, logger: Logger, peers: () => Array<{ connected: boolean, latencyMs: number | null }> }): RunningTimeout | null {
  const { module, params } = checkGenesis(o.genesis)
  const spec = module.adaptiveTimeout
  if (spec == null) return null
  const models = o.models
  const entry = models?.manifest.models['consensus-latency']
  const bp = entry?.baselineParams as { linearRtt?: LinearModel, ewmaAlpha?: number, guardBaseline?: string } | undefined
  const baselines = { name: bp?.guardBaseline ?? 'ewma', ewmaAlpha: bp?.ewmaAlpha ?? 0.5, ...(bp?.linearRtt != null ? { linearRtt: bp.linearRtt } : {}) }
  const timeout = new AdaptiveTimeout({
    protocol: o.genesis.protocol,
    n: o.genesis.validators.length,
    batchSize: (params as { batchSize?: number }).batchSize ?? 1,
    ...AdaptiveTimeout.specOptions(spec, params),
    baselines,
    ...(models != null && entry != null
      ? {
          predict: async (obs) => decodeLatency((await models.runRows('consensus-latency', [encodeLatency(obs)]))[0][0], obs),
          guard: o.guards.guard('consensus-latency', { baseline: baselines.name }, entry.bySource)
        }
      : {}),
    onError: (err) => o.logger.warn({ err: String(err) }, 'consensus-latency prediction failed; the baseline sets the timeout')
  })
  o.consensus.useTimeouts(timeout)
  const tick = setInterval(() => {
    const rtts = o.peers().filter(p => p.connected && p.latencyMs != null).map(p => p.latencyMs as number).sort((a, b) => a - b)
    if (rtts.length > 0) timeout.network(rtts[Math.floor(rtts.length / 2)], rtts[Math.min(rtts.length - 1, Math.floor(0.9 * rtts.length))])
    timeout.roll(performance.now())
  }, TICK_MS)
  tick.unref()
  return { state: () => timeout.state(), stop: () => clearInterval(tick) }
}
