// The one list of consensus protocols. The node, the simulator, genesis validation, the CLI and the
// compliance suite read it; adding a protocol is its folder plus one line here.
import type { ProtocolModule } from './core/module.ts'
import { bullsharkModule } from './bullshark/module.ts'
import { pbftModule } from './pbft/module.ts'
import { probftModule } from './probft/module.ts'
import { tpbftModule } from './tpbft/module.ts'

export const PROTOCOL_MODULES: readonly ProtocolModule<any, any>[] = [pbftModule, bullsharkModule, probftModule, tpbftModule]

/** Protocols ARCHITECTURE.md names that this version does not build yet: asked for, they are refused as
 *  "not available in this version" rather than as unknown. */
export const PLANNED_PROTOCOLS: readonly string[] = []

export function availableProtocols (): string[] { return PROTOCOL_MODULES.map((m) => m.name) }

/** The module called `name`, or undefined. */
export function findProtocol (name: string): ProtocolModule<any, any> | undefined {
  return PROTOCOL_MODULES.find((m) => m.name === name)
}

/** The module called `name`; throws a one-line reason for a planned or unknown one. */
export function protocolModule (name: string): ProtocolModule<any, any> {
  const m = findProtocol(name)
  if (m !== undefined) return m
  const available = availableProtocols().join(', ')
  throw new Error(PLANNED_PROTOCOLS.includes(name)
    ? `consensus protocol ${name} is not available in this version (available: ${available})`
    : `unknown consensus protocol ${JSON.stringify(name)} (available: ${available})`)
}
