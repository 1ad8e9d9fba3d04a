// The protocols the simulator runs: the registry's modules, each reduced to what a simulated node needs (a
// Protocol behind the driver, the signer its adversaries forge with, and the sizes scenarios are tuned by).
import type { Message, MessageSigner } from '../core/message.ts'
import type { ProtocolKeys } from '../core/module.ts'
import type { Protocol } from '../core/protocol.ts'
import { availableProtocols, protocolModule } from '../registry.ts'

/** Every registered protocol runs in the simulator. */
export const SIM_PROTOCOLS: readonly string[] = availableProtocols()
export type SimProtocolName = string

/** A scenario's protocol parameters: the module's simulator settings, validated by the module. */
export type SimParams = Readonly<Record<string, unknown>>

export type ProtocolFactory = (keys: ProtocolKeys, params: any) => Protocol<Message>

/** A planted-bug build replaces the module's factory here. */
export interface ProtocolBuilds {
  readonly create?: ProtocolFactory
}

export type NodeKeys = ProtocolKeys

export interface SimNodeProtocol {
  readonly protocol: Protocol<Message>
  readonly signer: MessageSigner<Message>
  /** The timeout a 'delay' adversary slips just past. */
  readonly timeoutMs: number
  /** Sequence numbers between checkpoints: the state machine keeps snapshots there. */
  readonly checkpointInterval: number
}

export function buildNode (name: SimProtocolName, keys: NodeKeys, params: SimParams, builds: ProtocolBuilds): SimNodeProtocol {
  const m = protocolModule(name)
  const p = m.params.parse(params)
  const protocol = (builds.create ?? m.create)(keys, p) as Protocol<Message>
  return { protocol, signer: m.messageSigner(keys) as MessageSigner<Message>, timeoutMs: m.sim.timeoutMs(p), checkpointInterval: m.checkpointInterval(p) }
}

export function checkpointIntervalOf (name: SimProtocolName, params: SimParams): number {
  const m = protocolModule(name)
  return m.checkpointInterval(m.params.parse(params))
}
