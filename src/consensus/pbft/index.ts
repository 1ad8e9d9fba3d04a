// PBFT's public face: one factory that turns keys and a validator set into a Protocol.
import type { Signer, Verifier } from '../../crypto/signer.ts'
import { MessageSigner, MessageVerifier } from '../core/message.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import { pbftCodec } from './codec.ts'
import { Pbft } from './pbft.ts'
import type { PbftParams } from './params.ts'

export interface CreatePbftOptions {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  /** Signs as `self` (Ed25519Signer in the node, FakeSigner in the simulator). */
  readonly signer: Signer
  /** Checks signatures nested in certificates (Ed25519Verifier over validators.publicKeys()). */
  readonly verifier: Verifier
  /** sha256 of the genesis file: part of every signature's domain tag. */
  readonly genesisHash: Uint8Array
  readonly params?: Partial<PbftParams>
}

export function createPbft (opts: CreatePbftOptions): Pbft {
  return new Pbft(pbftOptions(opts))
}

/** The constructor options, for test builds that subclass Pbft. */
export function pbftOptions (opts: CreatePbftOptions): ConstructorParameters<typeof Pbft>[0] {
  if (opts.signer.id !== opts.self) throw new Error(`signer is ${opts.signer.id}, not ${opts.self}`)
  return {
    self: opts.self,
    validators: opts.validators,
    signer: new MessageSigner(opts.signer, pbftCodec, opts.genesisHash),
    verifier: new MessageVerifier(opts.verifier, pbftCodec, opts.genesisHash),
    params: opts.params
  }
}

export { Pbft, PBFT_TIMERS } from './pbft.ts'
export type { PbftOptions } from './pbft.ts'
export { pbftCodec } from './codec.ts'
export { DEFAULT_PBFT_PARAMS, pbftParams } from './params.ts'
export type { PbftParams } from './params.ts'
export * from './messages.ts'
