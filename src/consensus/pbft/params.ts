// PBFT's parameters are the three-phase engine's.
export { DEFAULT_THREE_PHASE_PARAMS as DEFAULT_PBFT_PARAMS, THREE_PHASE_GENESIS_DEFAULTS as PBFT_GENESIS_DEFAULTS } from '../three-phase/params.ts'
export { threePhaseParams as pbftParams, threePhaseParamsFromGenesis as pbftParamsFromGenesis } from '../three-phase/params.ts'
export type { ThreePhaseParams as PbftParams } from '../three-phase/params.ts'
