// The protocols the simulator can run, each reduced to what a simulated node needs: a Protocol behind the
// driver, the signer its adversaries forge with, and the sizes scenarios and adversaries are tuned by.
import type { Signer, Verifier } from '../../crypto/signer.ts'
import type { Message, MessageSigner } from '../core/message.ts'
import type { Protocol } from '../core/protocol.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import { bullsharkOptions } from '../bullshark/index.ts'
import { Bullshark } from '../bullshark/bullshark.ts'
import type { BullsharkOptions } from '../bullshark/bullshark.ts'
import { bullsharkParams } from '../bullshark/params.ts'
import type { BullsharkParams } from '../bullshark/params.ts'
import { pbftOptions } from '../pbft/index.ts'
import { Pbft } from '../pbft/pbft.ts'
import type { PbftOptions } from '../pbft/pbft.ts'
import { pbftParams } from '../pbft/params.ts'
import type { PbftParams } from '../pbft/params.ts'

export const SIM_PROTOCOLS = ['pbft', 'bullshark'] as const
export type SimProtocolName = typeof SIM_PROTOCOLS[number]

/** Every tunable either protocol reads; a scenario sets those of its protocol. */
export type SimParams = Partial<PbftParams> & Partial<BullsharkParams>

export type PbftFactory = (opts: PbftOptions) => Pbft
export type BullsharkFactory = (opts: BullsharkOptions) => Bullshark

/** Test builds with planted bugs replace a protocol's constructor here. */
export interface ProtocolBuilds {
  readonly pbft?: PbftFactory
  readonly bullshark?: BullsharkFactory
}

export interface NodeKeys {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  readonly signer: Signer
  readonly verifier: Verifier
  readonly genesisHash: Uint8Array
}

export interface SimNodeProtocol {
  readonly protocol: Protocol<Message>
  readonly signer: MessageSigner<Message>
  /** The timeout a 'delay' adversary slips just past. */
  readonly timeoutMs: number
  /** Sequence numbers between checkpoints: the state machine keeps snapshots there. */
  readonly checkpointInterval: number
}

export function buildNode (name: SimProtocolName, keys: NodeKeys, params: SimParams, builds: ProtocolBuilds): SimNodeProtocol {
  if (name === 'bullshark') {
    const opts = bullsharkOptions({ ...keys, params })
    const p = bullsharkParams(params)
    const protocol = (builds.bullshark ?? ((o: BullsharkOptions) => new Bullshark(o)))(opts)
    return { protocol: protocol as unknown as Protocol<Message>, signer: opts.signer as MessageSigner<Message>, timeoutMs: p.maxHeaderDelayMs, checkpointInterval: p.checkpointInterval }
  }
  const opts = pbftOptions({ ...keys, params })
  const p = pbftParams(params)
  const protocol = (builds.pbft ?? ((o: PbftOptions) => new Pbft(o)))(opts)
  return { protocol: protocol as unknown as Protocol<Message>, signer: opts.signer as MessageSigner<Message>, timeoutMs: p.viewChangeTimeoutMs, checkpointInterval: p.checkpointInterval }
}

export function checkpointIntervalOf (name: SimProtocolName, params: SimParams): number {
  return name === 'bullshark' ? bullsharkParams(params).checkpointInterval : pbftParams(params).checkpointInterval
}
