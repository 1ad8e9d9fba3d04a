// ProBFT as the registry sees it: the three-phase engine with ProBFT's variant, a codec whose votes carry
// sample proofs, parameters validated against n and f, simulator settings and the planted-bug builds that
// switch the hardening off (the agreement checker must catch them).
import { MessageSigner, MessageVerifier } from '../core/message.ts'
import type { Message } from '../core/message.ts'
import type { Protocol } from '../core/protocol.ts'
import { genesisOverrides } from '../core/module.ts'
import type { ProtocolKeys, ProtocolModule } from '../core/module.ts'
import { threePhaseCodec } from '../three-phase/codec.ts'
import type { ThreePhaseMessage } from '../three-phase/messages.ts'
import { ThreePhaseReplica, threePhaseTimers } from '../three-phase/replica.ts'
import { fakeProtocolVrf } from './fake-vrf.ts'
import { DEFAULT_PROBFT_PARAMS, PROBFT_GENESIS_DEFAULTS, probftParams, probftParamsFromGenesis, probftSizes } from './params.ts'
import type { ProbftParams } from './params.ts'
import { PROBFT, probftVariant } from './variant.ts'
import type { ProbftVariant } from './variant.ts'

export const probftCodec = threePhaseCodec(PROBFT, true)
export const PROBFT_TIMERS = threePhaseTimers(PROBFT)

export interface ProbftBuild { readonly replica: ThreePhaseReplica, readonly variant: ProbftVariant }

/** The replica and its variant (tests read the variant's counters). Without keys.vrf the replica samples
 *  with the deterministic fake VRF: the simulator and unit tests only; the node always injects ECVRF. */
export function buildProbft (keys: ProtocolKeys, params: Partial<ProbftParams> = {}, hardening = true): ProbftBuild {
  if (keys.signer.id !== keys.self) throw new Error(`signer is ${keys.signer.id}, not ${keys.self}`)
  const p = probftParams(params)
  const sizes = probftSizes(p, keys.validators.n)
  const vrf = keys.vrf ?? fakeProtocolVrf(keys.self, keys.validators)
  const variant = probftVariant({ self: keys.self, validators: keys.validators, genesisHash: keys.genesisHash, vrf, sizes, hardening })
  const replica = new ThreePhaseReplica({
    self: keys.self,
    validators: keys.validators,
    signer: new MessageSigner(keys.signer, probftCodec, keys.genesisHash),
    verifier: new MessageVerifier(keys.verifier, probftCodec, keys.genesisHash),
    params: p,
    variant,
    codec: probftCodec
  })
  return { replica, variant }
}

export function createProbft (keys: ProtocolKeys, params: Partial<ProbftParams> = {}): ThreePhaseReplica {
  return buildProbft(keys, params).replica
}

/** ProBFT's share of the simulator seeds in `npm test`. */
export const PROBFT_SIM_SEED_COUNT = 96

const SIM_ADVERSARIES = ['none', 'silent', 'crash-mid-broadcast', 'equivocate', 'double-vote', 'bad-signature', 'replay', 'delay', 'spray-votes', 'echo-amplify', 'minority-proposal', 'forge-certificate']

export const probftModule: ProtocolModule<ProbftParams, ThreePhaseMessage> = {
  name: PROBFT,
  codec: probftCodec,
  timers: Object.values(PROBFT_TIMERS),
  params: {
    defaults: DEFAULT_PROBFT_PARAMS,
    parse: probftParams,
    genesisDefaults: PROBFT_GENESIS_DEFAULTS,
    fromGenesis: (raw, validators) => probftParamsFromGenesis(genesisOverrides(raw, PROBFT_GENESIS_DEFAULTS, PROBFT), validators)
  },
  create: (keys, params) => createProbft(keys, params),
  checkpointInterval: (p) => p.checkpointInterval,
  signingSlot: (m) => m.type === 'pre-prepare' || m.type === 'prepare' || m.type === 'commit' ? `${m.type}/${m.view}/${m.seq}` : m.type === 'new-view' ? `new-view/${m.view}` : undefined,
  messageSigner: (keys) => new MessageSigner(keys.signer, probftCodec, keys.genesisHash),
  sim: {
    // PBFT's WAN sizing, with a longer view-change timeout so a replica that missed a quorum catches up
    // from its peers' commit certificates before it gives up on the view.
    params: { batchSize: 16, batchDelayMs: 100, viewChangeTimeoutMs: 3000, maxViewChangeTimeoutMs: 24_000, checkpointInterval: 8, watermarkWindow: 32, resendIntervalMs: 1000 },
    adversaries: SIM_ADVERSARIES,
    adversaryFamily: 'three-phase',
    sizes: [4, 7, 10, 16],
    seeds: PROBFT_SIM_SEED_COUNT,
    bites: {
      silent: { event: 'view-change', cleanNetwork: true },
      equivocate: { event: 'equivocation', cleanNetwork: true },
      'echo-amplify': { event: 'equivocation' },
      'spray-votes': { event: 'invalid-message' },
      'minority-proposal': { event: 'batch-fetch' },
      'forge-certificate': { event: 'invalid-message' }
    },
    longCrashes: false,
    timeoutMs: (p) => p.viewChangeTimeoutMs
  },
  samplesWithVrf: true,
  plantedBugs: [
    // Without H1/H2 an equivocating leader's two halves can both decide in one view.
    { name: 'ProBFT without the hardening (equivocation)', checker: 'agreement', adversary: 'equivocate', create: (keys, params) => buildProbft(keys, params, false).replica as unknown as Protocol<Message> }
  ]
}

