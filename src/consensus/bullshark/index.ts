// Bullshark's public face: one factory that turns keys and a validator set into a Protocol.
import type { Signer, Verifier } from '../../crypto/signer.ts'
import { MessageSigner, MessageVerifier } from '../core/message.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import { Bullshark } from './bullshark.ts'
import { bullsharkCodec } from './codec.ts'
import type { BullsharkParams } from './params.ts'

export interface CreateBullsharkOptions {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  /** Signs as `self` (Ed25519Signer in the node, FakeSigner in the simulator). */
  readonly signer: Signer
  /** Checks signatures nested in certificates (Ed25519Verifier over validators.publicKeys()). */
  readonly verifier: Verifier
  /** sha256 of the genesis file: part of every signature's domain tag. */
  readonly genesisHash: Uint8Array
  readonly params?: Partial<BullsharkParams>
}

export function createBullshark (opts: CreateBullsharkOptions): Bullshark {
  return new Bullshark(bullsharkOptions(opts))
}

/** The constructor options, for test builds that subclass Bullshark. */
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

export { Bullshark, BULLSHARK_TIMERS, headerDigest } from './bullshark.ts'
export type { BullsharkOptions } from './bullshark.ts'
export { Dag } from './dag.ts'
export type { Vertex } from './dag.ts'
export { bullsharkCodec } from './codec.ts'
export { DEFAULT_BULLSHARK_PARAMS, bullsharkParams } from './params.ts'
export type { BullsharkParams } from './params.ts'
export * from './messages.ts'
