// ProBFT's public face: its registry module, factory, variant, sampling and parameters.
export { buildProbft, createProbft, probftCodec, probftModule, PROBFT_SIM_SEED_COUNT, PROBFT_TIMERS } from './module.ts'
export type { ProbftBuild } from './module.ts'
export { PROBFT, probftVariant, VRF_PROOF_BYTES } from './variant.ts'
export type { ProbftStats, ProbftVariant, ProbftVariantOptions } from './variant.ts'
export { quorumSize, sampleAlpha, sampleIndices, sampleSize } from './sampling.ts'
export { DEFAULT_PROBFT_PARAMS, PROBFT_GENESIS_DEFAULTS, probftParams, probftParamsFromGenesis, probftSizes } from './params.ts'
export type { ProbftParams, ProbftSizes } from './params.ts'
export { fakeProtocolVrf, fakeVrf, fakeVrfPublicKey } from './fake-vrf.ts'
