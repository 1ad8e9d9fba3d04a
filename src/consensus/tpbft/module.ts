// T-PBFT as the registry sees it: name, codec, timers, parameters, factory, simulator settings. The
// protocol itself is the three-phase engine with T-PBFT's variant (variant.ts).
import { MessageSigner, MessageVerifier } from '../core/message.ts'
import type { MessageCodec } from '../core/message.ts'
import { genesisOverrides } from '../core/module.ts'
import type { ProtocolKeys, ProtocolModule } from '../core/module.ts'
import { ThreePhaseReplica, threePhaseTimers } from '../three-phase/replica.ts'
import type { ThreePhaseMessage } from '../three-phase/messages.ts'
import { tpbftCodec } from './codec.ts'
import { TPBFT } from './messages.ts'
import type { TpbftMessage } from './messages.ts'
import { DEFAULT_TPBFT_PARAMS, TPBFT_GENESIS_DEFAULTS, tpbftParams, tpbftParamsFromGenesis } from './params.ts'
import type { TpbftParams } from './params.ts'
import { TPBFT_INNER_TIMER, TpbftVariant } from './variant.ts'
import { TPBFT_LEDGER_TIMER } from './ledger-sync.ts'
import type { TpbftPlantedChanges } from './variant.ts'
import { epochConfig } from './epoch.ts'
import { TrustLedger } from './evidence.ts'
import { ValidatorSet } from '../core/validators.ts'

/** Seeds `npm test` runs: each (size, adversary) pair twice, well under a minute on two quiet cores. */
export const TPBFT_SIM_SEEDS = 78

export const TPBFT_TIMERS = { ...threePhaseTimers(TPBFT), inner: TPBFT_INNER_TIMER, ledger: TPBFT_LEDGER_TIMER } as const

/** A T-PBFT replica: the engine, with its variant reachable for status and tests. */
export interface Tpbft { readonly replica: ThreePhaseReplica, readonly variant: TpbftVariant }

export function createTpbftReplica (keys: ProtocolKeys, params: Partial<TpbftParams> = {}, planted: TpbftPlantedChanges = {}): Tpbft {
  if (keys.signer.id !== keys.self) throw new Error(`signer is ${keys.signer.id}, not ${keys.self}`)
  const p = tpbftParams(params)
  const codec = tpbftCodec as unknown as MessageCodec<ThreePhaseMessage>
  const variant = new TpbftVariant(keys.validators, p, new MessageVerifier(keys.verifier, tpbftCodec, keys.genesisHash), planted)
  const replica = new ThreePhaseReplica({
    self: keys.self,
    validators: keys.validators,
    signer: new MessageSigner(keys.signer, codec, keys.genesisHash),
    verifier: new MessageVerifier(keys.verifier, codec, keys.genesisHash),
    params: p,
    variant,
    codec
  })
  return { replica, variant }
}

const signingSlot = (m: TpbftMessage): string | undefined => {
  switch (m.type) {
    case 'pre-prepare': case 'prepare': case 'commit': return `${m.type}/${m.view}/${m.seq}`
    case 'new-view': return `new-view/${m.view}`
    case 'group-share': return `group-share/${m.view}/${m.seq}`
    default: return undefined
  }
}

export const tpbftModule: ProtocolModule<TpbftParams, TpbftMessage> = {
  name: TPBFT,
  codec: tpbftCodec,
  timers: Object.values(TPBFT_TIMERS),
  params: {
    defaults: DEFAULT_TPBFT_PARAMS,
    parse: tpbftParams,
    genesisDefaults: TPBFT_GENESIS_DEFAULTS,
    fromGenesis: (raw) => tpbftParamsFromGenesis(genesisOverrides(raw, TPBFT_GENESIS_DEFAULTS, TPBFT))
  },
  // The replica, with the variant's epoch history as its trust source (GET /v1/trust finds it by name).
  create: (keys, params) => {
    const t = createTpbftReplica(keys, params)
    return Object.assign(t.replica, { trustSource: () => t.variant.trust }) as never
  },
  checkpointInterval: (p) => p.checkpointInterval,
  signingSlot,
  messageSigner: (keys) => new MessageSigner(keys.signer, tpbftCodec, keys.genesisHash),
  sim: {
    // PBFT's WAN sizing; epochs of eight checkpoints so simulated runs cross several epoch boundaries.
    // rankByEvidence is left at the nodes' default (1): a member back by state transfer past an epoch boundary
    // fetches the certified ledger and seed before it ranks (ledger-sync.ts; test/sim/tpbft-flapping.test.ts).
    params: { batchSize: 16, batchDelayMs: 100, viewChangeTimeoutMs: 2000, maxViewChangeTimeoutMs: 16_000, checkpointInterval: 8, watermarkWindow: 32, resendIntervalMs: 1000, epochLength: 64, innerTimeoutMs: 700 },
    adversaries: ['none', 'silent', 'crash-mid-broadcast', 'equivocate', 'double-vote', 'bad-signature', 'replay', 'delay',
      'withhold-shares', 'equivocate-shares', 'equivocate-acting', 'conflicting-new-view', 'byzantine-group'],
    adversaryFamily: 'group',
    sizes: [4, 7, 16],
    seeds: TPBFT_SIM_SEEDS,
    // The group attacks each show in some seed: a conviction for equivocating shares, an inner failover past
    // an equivocating acting proposer, an outer view change past a whole faulty group. (With one seed per
    // pairing, a clean network is not guaranteed for each, so these are not restricted to one.)
    bites: {
      'equivocate-shares': { event: 'conviction' },
      'equivocate-acting': { event: 'inner-failover' },
      'conflicting-new-view': { event: 'invalid-message' },
      'byzantine-group': { event: 'new-view' }
    },
    longCrashes: false,
    timeoutMs: (p) => p.viewChangeTimeoutMs,
    // The whole first group (the ranking's first window) where it fits within f; for conflicting new
    // views also the next view's first member, which sends the new-view.
    placeByzantine: (adversary, ids) => {
      if (adversary !== 'byzantine-group' && adversary !== 'conflicting-new-view') return undefined
      const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
      const config = epochConfig({ epoch: 0, validators, evidence: new TrustLedger(), checkpointRoot: new Uint8Array(32), groupSize: DEFAULT_TPBFT_PARAMS.groupSize })
      const members = adversary === 'byzantine-group' ? config.groups[0] : [...config.groups[0], ...(config.groups[1]?.slice(0, 1) ?? [])]
      const placed = [...new Set(members)].map((id) => validators.indexOf(id)).sort((a, b) => a - b)
      return placed.length <= validators.f ? placed : undefined
    }
  },
  plantedBugs: [
    // Trust deciding safety: the group's say (one co-signature certifies) and f + 1 commits decide. The acting
    // proposer's two certified batches then both commit, each on one side.
    { name: 'certifies with one share and commits with f + 1 votes', checker: 'agreement', adversary: 'equivocate-acting', create: (keys, params) => createTpbftReplica(keys, params, { quorum: (q) => q.weak, coSignThreshold: 1 }).replica as never }
  ]
}
