// Client-signed transactions: an Ed25519-signed envelope around one command (tx.ts), with an expiry height,
// and the rules every replica checks on apply (who may issue which command; see checkSignedTx).
//
//   u8 SIGNED_TX_VERSION | 32 B signer public key | u64 validUntil | u32 len, command bytes | 64 B signature
//
// A signed bundle is the same envelope around several commands, so a request of many commands costs one
// signature and one verify instead of one per command (a verify was ~70% of a replica's CPU per command):
//
//   u8 SIGNED_BUNDLE_VERSION | 32 B signer | u64 validUntil | u32 count, count x (u32 len, command) | 64 B signature
//
// A bundle is one consensus transaction with one id (sha256 of its bytes): the replay index remembers it
// as a whole, and each command has its own result (checkSignedBundle, StateMachine).
//
// The signature covers domainTag(genesis, 'tx') || every byte before it, so a signed tx is valid in one
// cluster only. validUntil must lie in [height, height + replay window - 1]: the replay index remembers an
// id applied at h up to height h + window - 1, so a replay is refused as a duplicate before it expires and as expired forever after.
import { ed25519PublicKeyFromRaw, ed25519Sign, ed25519Verify, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from '../crypto/ed25519.ts'
import type { KeyObject } from 'node:crypto'
import { domainTag } from '../crypto/domain.ts'
import { decodeWith, DecodeError, toHex, Writer } from './bytes.ts'
import type { Result } from './bytes.ts'
import { MAX_TX_BYTES } from './limits.ts'
import { decodeTx } from './tx.ts'
import type { Tx } from './tx.ts'

/** Distinct from every TX_VERSION of a bare command, so the first byte tells the two apart. */
export const SIGNED_TX_VERSION = 0x80
export const SIGNED_TX_OVERHEAD = 1 + ED25519_PUBLIC_KEY_BYTES + 8 + 4 + ED25519_SIGNATURE_BYTES
/** Consensus carries transactions of up to MAX_TX_BYTES, envelope included. */
export const MAX_SIGNED_TX_BYTES = MAX_TX_BYTES
export const MAX_SIGNED_COMMAND_BYTES = MAX_TX_BYTES - SIGNED_TX_OVERHEAD
export const TX_MESSAGE_TYPE = 'tx'
/** Distinct from SIGNED_TX_VERSION and every bare TX_VERSION. */
export const SIGNED_BUNDLE_VERSION = 0x81
/** Commands one bundle may hold: a consensus rule (every replica refuses more). */
export const MAX_BUNDLE_COMMANDS = 1024
/** Envelope bytes around a bundle's commands (version, signer, validUntil, count, signature). */
export const SIGNED_BUNDLE_OVERHEAD = 1 + ED25519_PUBLIC_KEY_BYTES + 8 + 4 + ED25519_SIGNATURE_BYTES
/** Bytes each command adds to a bundle (its u32 length prefix and itself). */
export const bundleCommandBytes = (command: Uint8Array): number => 4 + command.byteLength

export interface SignedBundle {
  signer: Uint8Array
  validUntil: number
  /** each command's canonical bytes (tx.ts), in order */
  commands: Uint8Array[]
  signature: Uint8Array
}

export interface SignedTx {
  signer: Uint8Array
  validUntil: number
  /** the command's canonical bytes (tx.ts) */
  command: Uint8Array
  signature: Uint8Array
}

/** Who the cluster's validators are: raw public key (hex) -> the host id (peer id) it speaks for. */
export interface TxAuth {
  genesisHash: Uint8Array
  validators: ReadonlyMap<string, string>
}

function signedPart (signer: Uint8Array, validUntil: number, command: Uint8Array): Uint8Array {
  return new Writer(command.length + SIGNED_TX_OVERHEAD).u8(SIGNED_TX_VERSION).raw(signer).u64(validUntil).bytes32(command).finish()
}

// Built once per genesis: every replica checks every transaction against it.
const tags = new Map<string, Uint8Array>()

function txTag (genesisHash: Uint8Array): Uint8Array {
  const id = toHex(genesisHash)
  let tag = tags.get(id)
  if (tag === undefined) {
    tag = domainTag(genesisHash, TX_MESSAGE_TYPE)
    if (tags.size >= 16) tags.clear()
    tags.set(id, tag)
  }
  return tag
}

// Parsed public keys by raw bytes: importing one costs about a quarter of a verify (measured 38 vs 148
// µs), and a cluster's transactions come from few signers (its nodes and clients). Bounded: the oldest
// goes first, so a stream of one-off signers costs the import again, never memory.
const SIGNER_KEYS_KEPT = 4096
const signerKeys = new Map<string, KeyObject>()

function signerKey (raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
  let key = signerKeys.get(id)
  if (key === undefined) {
    key = ed25519PublicKeyFromRaw(raw)
    if (signerKeys.size >= SIGNER_KEYS_KEPT) signerKeys.delete(signerKeys.keys().next().value as string)
    signerKeys.set(id, key)
  }
  return key
}

function withTag (genesisHash: Uint8Array, part: Uint8Array): Uint8Array {
  const tag = txTag(genesisHash)
  const out = new Uint8Array(tag.length + part.length)
  out.set(tag, 0)
  out.set(part, tag.length)
  return out
}

/** Signs `command` (bytes from tx.ts's builders) with `privateKey`, valid up to and including height `validUntil`. */
export function signTx (command: Uint8Array, key: { privateKey: KeyObject, publicKeyRaw: Uint8Array }, validUntil: number, genesisHash: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(validUntil) || validUntil < 0) throw new RangeError(`validUntil must be a height, got ${validUntil}`)
  if (command.length > MAX_SIGNED_COMMAND_BYTES) throw new RangeError(`command is ${command.length} bytes, limit ${MAX_SIGNED_COMMAND_BYTES} once signed`)
  const part = signedPart(key.publicKeyRaw, validUntil, command)
  const sig = ed25519Sign(key.privateKey, withTag(genesisHash, part))
  const out = new Uint8Array(part.length + sig.length)
  out.set(part, 0)
  out.set(sig, part.length)
  return out
}

/** Whether `bytes` claims to be an envelope (rather than a bare command). */
export function isSignedTx (bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes.length > 0 && bytes[0] === SIGNED_TX_VERSION
}

/** Whether `bytes` claims to be a signed bundle. */
export function isSignedBundle (bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes.length > 0 && bytes[0] === SIGNED_BUNDLE_VERSION
}

/** Whether `bytes` is signed in either envelope (the node passes those on as they are). */
export function isSigned (bytes: Uint8Array): boolean {
  return isSignedTx(bytes) || isSignedBundle(bytes)
}

/**
 * Signs several commands with one signature, valid up to and including `validUntil`. Throws RangeError
 * when they do not fit one bundle (MAX_BUNDLE_COMMANDS, MAX_TX_BYTES): callers split with bundleRuns.
 */
export function signBundle (commands: readonly Uint8Array[], key: { privateKey: KeyObject, publicKeyRaw: Uint8Array }, validUntil: number, genesisHash: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(validUntil) || validUntil < 0) throw new RangeError(`validUntil must be a height, got ${validUntil}`)
  if (commands.length === 0 || commands.length > MAX_BUNDLE_COMMANDS) throw new RangeError(`a bundle holds 1 to ${MAX_BUNDLE_COMMANDS} commands, got ${commands.length}`)
  const size = commands.reduce((a, c) => a + bundleCommandBytes(c), SIGNED_BUNDLE_OVERHEAD)
  if (size > MAX_TX_BYTES) throw new RangeError(`bundle is ${size} bytes, limit ${MAX_TX_BYTES}`)
  const w = new Writer(size).u8(SIGNED_BUNDLE_VERSION).raw(key.publicKeyRaw).u64(validUntil).u32(commands.length)
  for (const c of commands) w.bytes32(c)
  const part = w.finish()
  const sig = ed25519Sign(key.privateKey, withTag(genesisHash, part))
  const out = new Uint8Array(part.length + sig.length)
  out.set(part, 0)
  out.set(sig, part.length)
  return out
}

/** Splits commands in order into runs that each fit one bundle (count and bytes). */
export function bundleRuns (commands: readonly Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = []
  let run: Uint8Array[] = []
  let bytes = SIGNED_BUNDLE_OVERHEAD
  for (const c of commands) {
    if (run.length > 0 && (run.length >= MAX_BUNDLE_COMMANDS || bytes + bundleCommandBytes(c) > MAX_TX_BYTES)) {
      out.push(run)
      run = []
      bytes = SIGNED_BUNDLE_OVERHEAD
    }
    run.push(c)
    bytes += bundleCommandBytes(c)
  }
  if (run.length > 0) out.push(run)
  return out
}

/** Parses untrusted bytes as a bundle; never throws. Checks the layout only, not the signature. */
export function decodeSignedBundle (bytes: Uint8Array): Result<SignedBundle> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: 'transaction must be bytes' }
  if (bytes.length > MAX_TX_BYTES) return { ok: false, error: `signed bundle is ${bytes.length} bytes, limit ${MAX_TX_BYTES}` }
  const res = decodeWith(bytes, (r): SignedBundle => {
    const version = r.u8('version')
    if (version !== SIGNED_BUNDLE_VERSION) throw new DecodeError(`not a signed bundle (version ${version}, expected ${SIGNED_BUNDLE_VERSION})`)
    const signer = r.raw(ED25519_PUBLIC_KEY_BYTES, 'signer').slice()
    const validUntil = r.u64('validUntil')
    const count = r.u32('count')
    if (count === 0 || count > MAX_BUNDLE_COMMANDS) throw new DecodeError(`a bundle holds 1 to ${MAX_BUNDLE_COMMANDS} commands, got ${count}`)
    const commands: Uint8Array[] = []
    for (let i = 0; i < count; i++) commands.push(r.bytes(32, MAX_TX_BYTES, 'command').slice())
    const signature = r.raw(ED25519_SIGNATURE_BYTES, 'signature').slice()
    r.end('signed bundle')
    return { signer, validUntil, commands, signature }
  })
  return res.ok ? res : { ok: false, error: `malformed signed bundle: ${res.error}` }
}

/** Parses either envelope's layout (for the API's "signed" field); never throws. */
export function decodeSigned (bytes: Uint8Array): Result<unknown> {
  return isSignedBundle(bytes) ? decodeSignedBundle(bytes) : decodeSignedTx(bytes)
}

/** Parses untrusted bytes; never throws. Checks the layout only, not the signature (checkSignedTx does). */
export function decodeSignedTx (bytes: Uint8Array): Result<SignedTx> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: 'transaction must be bytes' }
  if (bytes.length > MAX_SIGNED_TX_BYTES) return { ok: false, error: `signed transaction is ${bytes.length} bytes, limit ${MAX_SIGNED_TX_BYTES}` }
  const res = decodeWith(bytes, (r): SignedTx => {
    const version = r.u8('version')
    if (version !== SIGNED_TX_VERSION) throw new DecodeError(`not a signed transaction (version ${version}, expected ${SIGNED_TX_VERSION})`)
    const signer = r.raw(ED25519_PUBLIC_KEY_BYTES, 'signer').slice()
    const validUntil = r.u64('validUntil')
    const command = r.bytes(32, MAX_SIGNED_COMMAND_BYTES, 'command').slice()
    const signature = r.raw(ED25519_SIGNATURE_BYTES, 'signature').slice()
    r.end('signed transaction')
    return { signer, validUntil, command, signature }
  })
  return res.ok ? res : { ok: false, error: `malformed signed transaction: ${res.error}` }
}

// Commands a host issues about the cluster's hosts: only a validator may, and for node.* only about itself.
function authorize (tx: Tx, signerHost: string | undefined): string | null {
  switch (tx.type) {
    case 'node.heartbeat':
    case 'node.leave':
      return signerHost === tx.id ? null : `${tx.type} for ${tx.id} must be signed by that host's validator key`
    case 'node.join':
    case 'node.update':
      return signerHost === tx.node.id ? null : `${tx.type} for ${tx.node.id} must be signed by that host's validator key`
    case 'workload.place':
      return signerHost !== undefined ? null : 'workload.place must be signed by a validator key'
    case 'workload.status':
      // an operator's stop is a client's command; every other status is a host's report
      return tx.status === 'stopped' || signerHost !== undefined ? null : `workload.status ${tx.status} must be signed by a validator key`
    default:
      return null
  }
}

/** The envelope checks both versions share: validity window and signature. Null when they pass. */
function checkEnvelope (bytes: Uint8Array, signer: Uint8Array, validUntil: number, signature: Uint8Array, height: number, replayWindow: number, auth: TxAuth): string | null {
  if (validUntil < height) return `transaction expired at height ${validUntil} (applying ${height})`
  if (validUntil >= height + replayWindow) return `validUntil ${validUntil} is not below height ${height} + the replay window ${replayWindow}`
  let pub: KeyObject
  try {
    pub = signerKey(signer)
  } catch {
    return 'signer is not an Ed25519 public key'
  }
  const part = bytes.subarray(0, bytes.length - ED25519_SIGNATURE_BYTES)
  return ed25519Verify(pub, withTag(auth.genesisHash, part), signature) ? null : 'bad transaction signature'
}

/**
 * A valid signed bundle at `height`: each command decoded and authorized on its own (one that fails is
 * that command's failure only), else why the whole bundle is refused (layout, expiry, signature).
 * Deterministic; never throws.
 */
export function checkSignedBundle (bytes: Uint8Array, height: number, replayWindow: number, auth: TxAuth): Result<Array<Result<Tx>>> {
  const env = decodeSignedBundle(bytes)
  if (!env.ok) return env
  const { signer, validUntil, commands, signature } = env.value
  const bad = checkEnvelope(bytes, signer, validUntil, signature, height, replayWindow, auth)
  if (bad !== null) return { ok: false, error: bad }
  const signerHost = auth.validators.get(toHex(signer))
  return {
    ok: true,
    value: commands.map((command): Result<Tx> => {
      const tx = decodeTx(command)
      if (!tx.ok) return tx
      const why = authorize(tx.value, signerHost)
      return why === null ? tx : { ok: false, error: `unauthorized: ${why}` }
    })
  }
}

/**
 * The command inside `bytes` when it is a valid signed tx at `height`, else why not. Deterministic: reads
 * only its arguments, so every replica decides alike; never throws.
 */
export function checkSignedTx (bytes: Uint8Array, height: number, replayWindow: number, auth: TxAuth): Result<Tx> {
  if (!isSignedTx(bytes)) return { ok: false, error: 'unsigned transaction refused: this cluster requires signed transactions' }
  const env = decodeSignedTx(bytes)
  if (!env.ok) return env
  const { signer, validUntil, command, signature } = env.value
  const bad0 = checkEnvelope(bytes, signer, validUntil, signature, height, replayWindow, auth)
  if (bad0 !== null) return { ok: false, error: bad0 }
  const tx = decodeTx(command)
  if (!tx.ok) return tx
  const bad = authorize(tx.value, auth.validators.get(toHex(signer)))
  return bad === null ? tx : { ok: false, error: `unauthorized: ${bad}` }
}
