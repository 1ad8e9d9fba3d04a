// PBFT as the registry sees it: name, codec, timers, parameters, factory, simulator settings, planted bugs.
// The protocol itself is the three-phase engine with PBFT's variant (variant.ts).
import { MessageSigner, MessageVerifier } from '../core/message.ts'
import type { Message } from '../core/message.ts'
import type { Protocol } from '../core/protocol.ts'
import { genesisOverrides } from '../core/module.ts'
import type { ProtocolKeys, ProtocolModule } from '../core/module.ts'
import { pbftCodec } from './codec.ts'
import type { PbftMessage } from './messages.ts'
import { DEFAULT_PBFT_PARAMS, PBFT_GENESIS_DEFAULTS, pbftParams, pbftParamsFromGenesis } from './params.ts'
import type { PbftParams } from './params.ts'
import { ThreePhaseReplica, threePhaseTimers } from '../three-phase/replica.ts'
import type { ReplicaOptions } from '../three-phase/replica.ts'
import { PBFT_PLANTED_BUGS } from './planted-bugs.ts'
import { PBFT, pbftVariant } from './variant.ts'
import type { PbftVariantChanges } from './variant.ts'

/** PBFT is the three-phase replica with PBFT's variant. */
export type Pbft = ThreePhaseReplica
export const PBFT_TIMERS = threePhaseTimers(PBFT)

export interface CreatePbftOptions extends ProtocolKeys {
  readonly params?: Partial<PbftParams>
}

export function createPbft (opts: CreatePbftOptions, changes?: PbftVariantChanges): Pbft {
  return new ThreePhaseReplica(pbftOptions(opts, changes))
}

/** The constructor options from keys and params. */
export function pbftOptions (opts: CreatePbftOptions, changes?: PbftVariantChanges): ReplicaOptions {
  if (opts.signer.id !== opts.self) throw new Error(`signer is ${opts.signer.id}, not ${opts.self}`)
  return {
    self: opts.self,
    validators: opts.validators,
    signer: new MessageSigner(opts.signer, pbftCodec, opts.genesisHash),
    verifier: new MessageVerifier(opts.verifier, pbftCodec, opts.genesisHash),
    params: opts.params,
    variant: pbftVariant(opts.validators, changes),
    codec: pbftCodec
  }
}

export const pbftModule: ProtocolModule<PbftParams, PbftMessage> = {
  name: PBFT,
  codec: pbftCodec,
  timers: Object.values(PBFT_TIMERS),
  params: {
    defaults: DEFAULT_PBFT_PARAMS,
    parse: pbftParams,
    genesisDefaults: PBFT_GENESIS_DEFAULTS,
    fromGenesis: (raw) => pbftParamsFromGenesis(genesisOverrides(raw, PBFT_GENESIS_DEFAULTS, PBFT))
  },
  create: (keys, params) => createPbft({ ...keys, params }),
  checkpointInterval: (p) => p.checkpointInterval,
  signingSlot: (m) => m.type === 'pre-prepare' || m.type === 'prepare' || m.type === 'commit' ? `${m.type}/${m.view}/${m.seq}` : m.type === 'new-view' ? `new-view/${m.view}` : undefined,
  messageSigner: (keys) => new MessageSigner(keys.signer, pbftCodec, keys.genesisHash),
  sim: {
    // Sized for WAN latencies of up to ~300 ms RTT.
    params: { batchSize: 16, batchDelayMs: 100, viewChangeTimeoutMs: 2000, maxViewChangeTimeoutMs: 16_000, checkpointInterval: 8, watermarkWindow: 32, resendIntervalMs: 1000 },
    adversaries: ['none', 'silent', 'crash-mid-broadcast', 'equivocate', 'double-vote', 'bad-signature', 'replay', 'delay'],
    adversaryFamily: 'three-phase',
    sizes: [3, 4, 5, 6, 7, 10],
    // Seven passes over the sizes x adversaries grid (48 pairs), sized to the npm test budget.
    seeds: 336,
    // Every attack forces a view change on a clean network in some seed.
    bites: Object.fromEntries(['silent', 'crash-mid-broadcast', 'equivocate', 'double-vote', 'bad-signature', 'replay', 'delay'].map((a) => [a, { event: 'view-change', cleanNetwork: true }])),
    longCrashes: false,
    timeoutMs: (p) => p.viewChangeTimeoutMs
  },
  // The view-change timer; its doubling on failed views is kept (the host scales it), capped at the maximum.
  adaptiveTimeout: { timers: [PBFT_TIMERS.viewChange], baseMs: (p) => p.viewChangeTimeoutMs, maxMs: (p) => p.maxViewChangeTimeoutMs },
  plantedBugs: PBFT_PLANTED_BUGS.map((bug) => ({
    name: bug.name,
    checker: bug.checker,
    adversary: bug.adversary,
    create: (keys, params) => createPbft({ ...keys, params }, bug.changes) as unknown as Protocol<Message>
  }))
}
