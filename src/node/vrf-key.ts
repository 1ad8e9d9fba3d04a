// The node's VRF key (<data-dir>/vrf.key, mode 0600): an ECVRF-EDWARDS25519-SHA512-TAI secret seed, separate
// from node.key because reusing one key for Ed25519 signatures and ECVRF proofs has no joint security
// analysis. ProBFT proves its vote samples with it; genesis carries each validator's public half. The file
// is JSON `{ version: 1, type: "ECVRF-EDWARDS25519-SHA512-TAI", secretKey: HEX32, publicKey: HEX32 }`.
// The public key is derived with node:crypto's Ed25519 (RFC 9381's PK is the Ed25519 public key of the same
// seed), so `init` and `node id` never load @noble/curves.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../config/errors.ts'
import { validatorVrfPublicKeys, type Genesis } from '../config/genesis.ts'
import type { Vrf } from '../crypto/vrf.ts'
import { DATA_FILES, writePrivateFile } from './data-dir.ts'
import { ed25519FromSeed } from '../crypto/ed25519.ts'

export const VRF_KEY_FILE = DATA_FILES.vrfKey
const VRF_KEY_FILE_VERSION = 1
const VRF_KEY_TYPE = 'ECVRF-EDWARDS25519-SHA512-TAI'

export interface VrfKeyFile {
  /** The 32-byte secret seed (RFC 9381 SK). */
  readonly secretKey: Uint8Array
  /** Hex of the 32-byte public key, as genesis names it (`vrfPublicKey`). */
  readonly publicKey: string
}

function publicKeyOf (seed: Uint8Array): string {
  return Buffer.from(ed25519FromSeed(seed).publicKeyRaw).toString('hex')
}

/** Makes vrf.key once (or anew with force; the node's genesis entry must then change too). */
export function createVrfKey (dataDir: string, { force = false } = {}): VrfKeyFile {
  const path = join(dataDir, VRF_KEY_FILE)
  if (existsSync(path) && !force) return readVrfKeyFile(path, dataDir)
  const seed = new Uint8Array(process.getBuiltinModule('node:crypto').randomBytes(32))
  const publicKey = publicKeyOf(seed)
  writePrivateFile(path, JSON.stringify({ version: VRF_KEY_FILE_VERSION, type: VRF_KEY_TYPE, secretKey: Buffer.from(seed).toString('hex'), publicKey }) + '\n')
  return { secretKey: seed, publicKey }
}

/** This node's VRF key, or null when the data dir has none (made by an older `init`). */
export function loadVrfKey (dataDir: string): VrfKeyFile | null {
  const path = join(dataDir, VRF_KEY_FILE)
  return existsSync(path) ? readVrfKeyFile(path, dataDir) : null
}

/** Like loadVrfKey, for a protocol that cannot run without one: a config error that says how to make it. */
export function requireVrfKey (dataDir: string): VrfKeyFile {
  const key = loadVrfKey(dataDir)
  if (key === null) throw new NovacronError('config', `no VRF key at ${join(dataDir, VRF_KEY_FILE)}: this protocol needs one; \`novacron init --data-dir ${dataDir}\` adds it (the node key stays), then put its vrfPublicKey in the genesis`)
  return key
}

/**
 * A vrf.key file, or (for `novacron vrf prove --key`) a file holding just the 32-byte seed as 64 hex
 * characters. Refuses a key file others can read, and one whose stored public key does not match.
 */
export function readVrfKeyFile (path: string, dataDir = '<data-dir>'): VrfKeyFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new NovacronError('config', `no VRF key at ${path}: run \`novacron init --data-dir ${dataDir}\` first`)
    throw new NovacronError('config', `cannot read VRF key ${path}: ${code ?? String(err)}`)
  }
  if (/^[0-9a-fA-F]{64}$/.test(text)) {
    const seed = new Uint8Array(Buffer.from(text, 'hex'))
    return { secretKey: seed, publicKey: publicKeyOf(seed) }
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new NovacronError('config', `VRF key ${path} is readable by others; run \`chmod 600 ${path}\``)
  let parsed: { version?: unknown, type?: unknown, secretKey?: unknown, publicKey?: unknown }
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new NovacronError('config', `VRF key ${path} is neither a vrf.key JSON file nor a 64-hex-character seed`)
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.version !== VRF_KEY_FILE_VERSION || parsed.type !== VRF_KEY_TYPE ||
    typeof parsed.secretKey !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.secretKey)) {
    throw new NovacronError('config', `VRF key ${path} has an unsupported format (want version ${VRF_KEY_FILE_VERSION}, type ${VRF_KEY_TYPE}, a 64-hex secretKey)`)
  }
  const seed = new Uint8Array(Buffer.from(parsed.secretKey, 'hex'))
  const publicKey = publicKeyOf(seed)
  if (parsed.publicKey !== undefined && parsed.publicKey !== publicKey) throw new NovacronError('config', `VRF key ${path} is damaged: its publicKey does not match its secretKey`)
  return { secretKey: seed, publicKey }
}

/**
 * What a VRF-sampling protocol (ProBFT) is given at node start: this node's ECVRF behind the `Vrf` interface
 * and every validator's VRF public key from genesis. Config errors, each naming the fix: no vrf.key, a
 * validator without a vrfPublicKey, or this node's genesis entry naming another key than its vrf.key (its
 * proofs would be refused by every peer).
 */
export async function nodeVrf (dataDir: string, genesis: Pick<Genesis, 'validators'>, self: string): Promise<{ vrf: Vrf, publicKeys: Map<string, Uint8Array> }> {
  const key = requireVrfKey(dataDir)
  const publicKeys = validatorVrfPublicKeys(genesis)
  const own = genesis.validators.find((v) => v.peerId === self)
  if (own !== undefined && own.vrfPublicKey !== key.publicKey) {
    throw new NovacronError('config', `genesis names VRF key ${own.vrfPublicKey ?? '(none)'} for this node (${self}), but ${join(dataDir, VRF_KEY_FILE)} holds ${key.publicKey}: the genesis must carry this node's \`novacron node id\` vrfPublicKey`)
  }
  const { ecvrf } = await import('../crypto/vrf.ts')
  return { vrf: ecvrf(key.secretKey), publicKeys }
}
