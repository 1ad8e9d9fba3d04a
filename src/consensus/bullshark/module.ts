// Bullshark as the registry sees it: name, codec, timers, parameters, factory, simulator settings, planted bugs.
import { MessageSigner, MessageVerifier } from '../core/message.ts'
import type { Message } from '../core/message.ts'
import type { Protocol } from '../core/protocol.ts'
import { ParamError, genesisOverrides } from '../core/module.ts'
import type { ProtocolKeys, ProtocolModule } from '../core/module.ts'
import { BULLSHARK_TIMERS, Bullshark } from './bullshark.ts'
import { MAX_VALIDATORS, bullsharkCodec } from './codec.ts'
import { BULLSHARK } from './messages.ts'
import type { BullsharkMessage } from './messages.ts'
import { BULLSHARK_GENESIS_DEFAULTS, DEFAULT_BULLSHARK_PARAMS, bullsharkParams } from './params.ts'
import type { BullsharkParams } from './params.ts'
import { CommitsWithoutSupport } from './planted-bugs.ts'

export interface CreateBullsharkOptions extends ProtocolKeys {
  readonly params?: Partial<BullsharkParams>
}

export function createBullshark (opts: CreateBullsharkOptions): Bullshark {
  return new Bullshark(bullsharkOptions(opts))
}

/** The constructor options from keys and params. */
export function bullsharkOptions (opts: CreateBullsharkOptions): ConstructorParameters<typeof Bullshark>[0] {
  if (opts.signer.id !== opts.self) throw new Error(`signer is ${opts.signer.id}, not ${opts.self}`)
  return {
    self: opts.self,
    validators: opts.validators,
    signer: new MessageSigner(opts.signer, bullsharkCodec, opts.genesisHash),
    verifier: new MessageVerifier(opts.verifier, bullsharkCodec, opts.genesisHash),
    params: opts.params
  }
}

export const bullsharkModule: ProtocolModule<BullsharkParams, BullsharkMessage> = {
  name: BULLSHARK,
  codec: bullsharkCodec,
  timers: Object.values(BULLSHARK_TIMERS),
  params: {
    defaults: DEFAULT_BULLSHARK_PARAMS,
    parse: bullsharkParams,
    genesisDefaults: BULLSHARK_GENESIS_DEFAULTS,
    fromGenesis: (raw, validators) => {
      if (validators > MAX_VALIDATORS) throw new ParamError(`${validators} validators: a Bullshark frontier or certificate carries at most ${MAX_VALIDATORS}`)
      const g = genesisOverrides(raw, BULLSHARK_GENESIS_DEFAULTS, BULLSHARK)
      return bullsharkParams({ batchSize: g.batchSize, batchDelayMs: g.batchDelayMs, maxHeaderDelayMs: g.maxHeaderDelayMs, gcDepth: g.gcDepth, checkpointInterval: g.checkpointInterval })
    }
  },
  create: (keys, params) => new Bullshark(bullsharkOptions({ ...keys, params })),
  checkpointInterval: (p) => p.checkpointInterval,
  signingSlot: (m) => m.type === 'header' ? `header/${m.round}` : m.type === 'vote' ? `vote/${m.author}/${m.round}` : undefined,
  messageSigner: (keys) => new MessageSigner(keys.signer, bullsharkCodec, keys.genesisHash),
  sim: {
    // Sized for the same WAN: a round takes about one and a half round trips, so a leader is waited on
    // ~1 s; a short gc depth and frequent checkpoints make crashes and partitions exercise state transfer.
    params: { batchSize: 16, batchDelayMs: 100, maxHeaderDelayMs: 1000, gcDepth: 20, checkpointInterval: 2, resendIntervalMs: 1000 },
    // The generic adversaries plus attacks on the DAG and on the leader of every anchor.
    adversaries: ['none', 'silent', 'crash-mid-broadcast', 'equivocate', 'withhold-votes', 'few-parents', 'crash-leader', 'slow-leader', 'bad-signature', 'replay', 'delay'],
    adversaryFamily: 'dag',
    // n = 3 and 6 (3f + 3) are where f + 1 support failed to meet every quorum; the commit threshold is
    // n - quorum + 1 now (ordering: commitStake), and these sizes keep it honest.
    sizes: [3, 4, 5, 6, 7, 10],
    // Five passes over the sizes x adversaries grid (66 pairs), sized to the npm test budget.
    seeds: 330,
    bites: {
      equivocate: { event: 'equivocation' },
      'few-parents': { event: 'invalid-message' },
      'crash-leader': { event: 'leader-timeout' },
      'slow-leader': { event: 'leader-timeout' }
    },
    longCrashes: true,
    timeoutMs: (p) => p.maxHeaderDelayMs
  },
  // The leader wait of a round. Bullshark's genesis names no maximum: 8 × maxHeaderDelayMs stands in.
  // latencyShare: a transaction's commit takes about four rounds (its batch and header, the next even round's
  // anchor, the anchor's voting round, the commit), and the wait starts only once a quorum of the round is
  // certified, so it covers the leader's lag behind that quorum: about half a round, 1/8 of a commit (an
  // estimate, not a measurement; bench/consensus-timeouts.md: no leader timeout fires at the fixed value
  // under 1.5–3 s spikes, so a raise there is only cost). The host raises the wait only once the predicted
  // p99 commit latency passes base / (TIMEOUT_SAFETY × share) = 4 × the base.
  adaptiveTimeout: { timers: [BULLSHARK_TIMERS.header], baseMs: (p) => p.maxHeaderDelayMs, maxMs: (p) => 8 * p.maxHeaderDelayMs, latencyShare: 0.125 },
  plantedBugs: [{
    name: 'commits an anchor without f + 1 support',
    checker: 'agreement',
    adversary: 'slow-leader',
    create: (keys, params) => new CommitsWithoutSupport(bullsharkOptions({ ...keys, params })) as unknown as Protocol<Message>
  }]
}
