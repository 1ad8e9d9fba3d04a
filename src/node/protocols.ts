// The consensus protocol a genesis names, through the registry: its parameters validated by its module
// (refused with the key and the limit), and the protocol built with them. A protocol that is not built yet
// is refused plainly rather than pretended.
import { availableProtocols, findProtocol, PLANNED_PROTOCOLS } from '../consensus/registry.ts'
import { ParamError } from '../consensus/core/module.ts'
import type { ProtocolKeys, ProtocolModule } from '../consensus/core/module.ts'
import type { Message, Protocol } from '../consensus/core/index.ts'
import type { Genesis, GenesisParams } from '../config/genesis.ts'
import { NovacronError } from '../config/errors.ts'

export type { ProtocolKeys } from '../consensus/core/module.ts'

/** The protocols this version runs (the registry's). */
export const AVAILABLE_PROTOCOLS: readonly string[] = availableProtocols()
/** What `--protocol` accepts: the available ones and those refused as not built yet. */
export const KNOWN_PROTOCOLS: readonly string[] = [...AVAILABLE_PROTOCOLS, ...PLANNED_PROTOCOLS]

function moduleFor (protocol: string, kind: 'config' | 'usage'): ProtocolModule<any, any> {
  const m = findProtocol(protocol)
  if (m !== undefined) return m
  if (PLANNED_PROTOCOLS.includes(protocol)) throw new NovacronError('failure', `consensus protocol ${protocol} is not available in this version (available: ${AVAILABLE_PROTOCOLS.join(', ')})`)
  throw new NovacronError(kind, `unknown protocol ${JSON.stringify(protocol)} (expected one of ${KNOWN_PROTOCOLS.join(', ')})`)
}

/** The genesis params' meaning for its protocol; a parameter the protocol refuses is a config error. */
export function checkGenesis (genesis: Pick<Genesis, 'protocol' | 'params' | 'validators'>, where = 'genesis', kind: 'config' | 'usage' = 'config'): { module: ProtocolModule<any, any>, params: unknown } {
  const module = moduleFor(genesis.protocol, kind)
  try {
    return { module, params: module.params.fromGenesis(genesis.params, genesis.validators.length) }
  } catch (err) {
    if (err instanceof ParamError) throw new NovacronError(kind, `${where}: params: ${err.message}`)
    throw err
  }
}

/** A protocol's genesis defaults with `--param KEY=VALUE` flags applied (keys the protocol does not take
 *  are refused here; values are checked by checkGenesis). */
export function genesisParams (protocol: string, specs: readonly string[]): GenesisParams {
  const defaults = moduleFor(protocol, 'usage').params.genesisDefaults
  const params: GenesisParams = { ...defaults }
  for (const spec of specs) {
    const m = /^(\w+)=(\d+)$/.exec(spec)
    if (m == null || !(m[1] in defaults) || Number(m[2]) <= 0) throw new NovacronError('usage', `--param ${spec}: expected KEY=POSITIVE_INTEGER with KEY one of ${Object.keys(defaults).join(', ')} (${protocol})`)
    params[m[1]] = Number(m[2])
  }
  return params
}

export interface BuiltProtocol {
  readonly protocol: Protocol<Message>
  /** Sequence numbers between checkpoints: the node keeps state snapshots there. */
  readonly checkpointInterval: number
  /** The timeout a timing adversary slips just past (view change, or a DAG round's leader wait). */
  readonly timeoutMs: number
}

export function createProtocol (genesis: Genesis, keys: ProtocolKeys): BuiltProtocol {
  const { module, params } = checkGenesis(genesis)
  return { protocol: module.create(keys, params) as Protocol<Message>, checkpointInterval: module.checkpointInterval(params), timeoutMs: module.sim.timeoutMs(params) }
}
