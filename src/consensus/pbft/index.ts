// PBFT's public face: its registry module, its factory and its types.
export { pbftModule, createPbft, pbftOptions } from './module.ts'
export type { CreatePbftOptions } from './module.ts'
export { Pbft, PBFT_TIMERS, SOUND_PBFT_RULES } from './pbft.ts'
export type { PbftOptions, PbftRules } from './pbft.ts'
export { pbftCodec } from './codec.ts'
export { DEFAULT_PBFT_PARAMS, pbftParams } from './params.ts'
export type { PbftParams } from './params.ts'
export * from './messages.ts'
