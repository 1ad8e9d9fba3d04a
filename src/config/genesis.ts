// The genesis file: the cluster's name, its consensus protocol and parameters, and its validators (peer id,
// Ed25519 public key, address, and for protocols that sample with a VRF, an ECVRF public key). Every validator must run the same genesis; its hash is part of every signed
// consensus payload's domain tag, so a signature can never be replayed in another cluster.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { base58btc } from 'multiformats/bases/base58'
import { NovacronError } from './errors.ts'
import { PLACEMENT_POLICIES, type PlacementPolicyName } from '../alloc/policies.ts'
import { isStrictNonSmallOrderPoint } from '../crypto/ed25519-point.ts'

export const GENESIS_VERSION = 1

/** The protocol's parameters as the file has them: which keys exist, their defaults and their limits are
 *  the protocol module's (src/node/protocols.ts checks them through the consensus registry). */
export type GenesisParams = Record<string, number>

export interface Validator {
  peerId: string
  /** Raw 32-byte Ed25519 public key, hex. */
  publicKey: string
  addr: string
  /** Raw 32-byte ECVRF-EDWARDS25519-SHA512-TAI public key, hex (the node's vrf.key, not its signing key).
   *  Optional: only VRF-sampling protocols (ProBFT) need it; present only when the file has it. */
  vrfPublicKey?: string
}

export interface Genesis {
  version: number
  cluster: string
  /** The consensus protocol's name, as the registry knows it. */
  protocol: string
  createdAt: string
  params: GenesisParams
  validators: Validator[]
  /** Workload placement (not a consensus parameter); absent: best-fit and the default liveness window.
   * Present only when the file has it, so the hash of an older genesis is unchanged. */
  placement?: PlacementParams
}

export interface PlacementParams {
  policy: PlacementPolicyName
  /** heartbeats (from any host) after which a silent host is no longer live */
  livenessBeats?: number
}

export const DEFAULT_PLACEMENT_POLICY: PlacementPolicyName = 'best-fit'

function parsePlacement (raw: unknown, where: string): PlacementParams {
  if (!isRecord(raw)) fail(where, 'placement must be an object like { "policy": "best-fit" }')
  for (const key of Object.keys(raw)) if (key !== 'policy' && key !== 'livenessBeats') fail(where, `placement: unknown key "${key}" (known: policy, livenessBeats)`)
  if (!PLACEMENT_POLICIES.includes(raw.policy as PlacementPolicyName)) fail(where, `placement.policy must be one of ${PLACEMENT_POLICIES.join(', ')}, got ${JSON.stringify(raw.policy)}`)
  const out: PlacementParams = { policy: raw.policy as PlacementPolicyName }
  if (raw.livenessBeats !== undefined) {
    if (!Number.isInteger(raw.livenessBeats) || (raw.livenessBeats as number) < 2 || (raw.livenessBeats as number) > 1_000_000) fail(where, `placement.livenessBeats must be an integer from 2 to 1000000, got ${JSON.stringify(raw.livenessBeats)}`)
    out.livenessBeats = raw.livenessBeats as number
  }
  return out
}

// An Ed25519 libp2p peer id is the identity multihash of the protobuf-encoded public key.
const ED25519_PEER_ID_PREFIX = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20])

export function peerIdFromPublicKey (publicKeyHex: string): string {
  const key = Buffer.from(publicKeyHex, 'hex')
  return base58btc.encode(Buffer.concat([ED25519_PEER_ID_PREFIX, key])).slice(1)
}

function fail (where: string, why: string): never {
  throw new NovacronError('config', `${where}: ${why}`)
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export function parseValidator (raw: unknown, where: string): Validator {
  if (!isRecord(raw)) fail(where, 'expected an object with peerId, publicKey and addr')
  const { peerId, publicKey, addr } = raw
  if (typeof peerId !== 'string' || !/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/.test(peerId)) fail(where, `peerId must be an Ed25519 libp2p peer id (12D3KooW...), got ${JSON.stringify(peerId)}`)
  if (typeof publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(publicKey)) fail(where, 'publicKey must be 64 lowercase hex characters (a raw Ed25519 public key)')
  if (peerIdFromPublicKey(publicKey) !== peerId) fail(where, `publicKey does not belong to peer ${peerId}`)
  if (typeof addr !== 'string' || !/^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d{1,5}$/.test(addr)) fail(where, `addr must be a TCP multiaddr like /ip4/10.0.0.5/tcp/7400, got ${JSON.stringify(addr)}`)
  if (raw.vrfPublicKey === undefined) return { peerId, publicKey, addr }
  return { peerId, publicKey, addr, vrfPublicKey: parseVrfPublicKey(raw.vrfPublicKey, publicKey, where) }
}

function parseVrfPublicKey (raw: unknown, publicKey: string, where: string): string {
  if (typeof raw !== 'string' || !/^[0-9a-f]*$/.test(raw)) fail(where, `vrfPublicKey must be lowercase hex (a raw 32-byte ECVRF public key, \`novacron node id\` shows it), got ${JSON.stringify(raw)}`)
  if (raw.length !== 64) fail(where, `vrfPublicKey must be 64 hex characters (32 bytes), got ${raw.length}`)
  if (!isStrictNonSmallOrderPoint(Buffer.from(raw, 'hex'))) fail(where, 'vrfPublicKey is not a valid ECVRF public key (not a canonical edwards25519 point, or one of small order)')
  if (raw === publicKey) fail(where, 'vrfPublicKey must not be the signing key: the VRF key is a separate key (vrf.key in the data dir)')
  return raw
}

/**
 * Every validator's VRF public key, by peer id, for a protocol that samples with a VRF. With `required`
 * (ProBFT), a validator without one is a config error naming it; otherwise such validators are left out.
 */
export function validatorVrfPublicKeys (genesis: Pick<Genesis, 'validators'>, { required = true, where = 'genesis' } = {}): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>()
  const missing: string[] = []
  for (const v of genesis.validators) {
    if (v.vrfPublicKey === undefined) missing.push(v.peerId)
    else keys.set(v.peerId, new Uint8Array(Buffer.from(v.vrfPublicKey, 'hex')))
  }
  if (required && missing.length > 0) {
    fail(where, `${missing.length} of ${genesis.validators.length} validators have no vrfPublicKey (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); this protocol samples with a VRF: give each \`--validator PEER_ID=PUBKEY,vrf=VRF_PUBKEY@MULTIADDR\` from its \`novacron node id\``)
  }
  return keys
}

/** The shape only: positive integers by name. Missing keys take the protocol's defaults. */
function parseParamsObject (raw: unknown, where: string): GenesisParams {
  if (raw === undefined) return {}
  if (!isRecord(raw)) fail(where, 'params must be an object')
  const params: GenesisParams = {}
  for (const [key, value] of Object.entries(raw)) {
    if (!/^[a-zA-Z][a-zA-Z0-9]{0,63}$/.test(key)) fail(where, `params: ${JSON.stringify(key)} is not a parameter name`)
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 10_000_000) fail(where, `params.${key} must be a positive integer, got ${JSON.stringify(value)}`)
    params[key] = value
  }
  return params
}

/** The shape only: which names exist is the registry's (src/node/protocols.ts). */
export function parseProtocol (raw: unknown, where: string): string {
  if (typeof raw !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(raw)) fail(where, `protocol must be a protocol name, got ${JSON.stringify(raw)}`)
  return raw
}

export function parseGenesis (raw: unknown, where = 'genesis'): Genesis {
  if (!isRecord(raw)) fail(where, 'expected a JSON object')
  if (raw.version !== GENESIS_VERSION) fail(where, `unsupported genesis version ${JSON.stringify(raw.version)} (this release reads version ${GENESIS_VERSION})`)
  if (typeof raw.cluster !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,62}$/i.test(raw.cluster)) fail(where, 'cluster must be a name of letters, digits, - or _')
  const protocol = parseProtocol(raw.protocol, where)
  if (!Array.isArray(raw.validators) || raw.validators.length === 0) fail(where, 'validators must be a non-empty array')
  const validators = raw.validators.map((v, i) => parseValidator(v, `${where}: validators[${i}]`))
  const seen = new Set<string>()
  const vrfKeys = new Map<string, string>()
  for (const v of validators) {
    if (seen.has(v.peerId)) fail(where, `validator ${v.peerId} is listed twice`)
    seen.add(v.peerId)
    if (v.vrfPublicKey === undefined) continue
    const other = vrfKeys.get(v.vrfPublicKey)
    if (other !== undefined) fail(where, `validators ${other} and ${v.peerId} have the same vrfPublicKey (each validator needs its own VRF key)`)
    vrfKeys.set(v.vrfPublicKey, v.peerId)
  }
  const createdAt = typeof raw.createdAt === 'string' ? raw.createdAt : fail(where, 'createdAt must be an ISO date string')
  const genesis: Genesis = { version: GENESIS_VERSION, cluster: raw.cluster, protocol, createdAt, params: parseParamsObject(raw.params, where), validators }
  if (raw.placement !== undefined) genesis.placement = parsePlacement(raw.placement, where)
  return genesis
}

export function readGenesis (path: string): Genesis {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new NovacronError('config', code === 'ENOENT' ? `genesis file ${path} does not exist (create one with \`novacron genesis create\`)` : `cannot read genesis file ${path}: ${code ?? String(err)}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new NovacronError('config', `genesis file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  return parseGenesis(parsed, `genesis file ${path}`)
}

/** Canonical JSON (sorted keys), so the hash does not depend on how the file was formatted. */
export function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (isRecord(value)) return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`
  return JSON.stringify(value)
}

export function genesisHash (genesis: Genesis): string {
  return createHash('sha256').update(canonicalJson(genesis)).digest('hex')
}

export function faultTolerance (n: number): number {
  return Math.floor((n - 1) / 3)
}

/** Parses `PEER_ID=PUBKEY[,vrf=VRF_PUBKEY]@MULTIADDR` as given to `genesis create --validator`. */
export function parseValidatorSpec (spec: string): Validator {
  const m = /^([^=]+)=([^@,]+)(?:,vrf=([^@]*))?@(.+)$/.exec(spec)
  if (m == null) throw new NovacronError('usage', `--validator ${JSON.stringify(spec)}: expected PEER_ID=PUBKEY@MULTIADDR or PEER_ID=PUBKEY,vrf=VRF_PUBKEY@MULTIADDR (see \`novacron node id\`)`)
  try {
    return parseValidator({ peerId: m[1], publicKey: m[2], addr: m[4], ...(m[3] !== undefined ? { vrfPublicKey: m[3] } : {}) }, `--validator ${m[1]}`)
  } catch (err) {
    throw new NovacronError('usage', (err as Error).message)
  }
}
