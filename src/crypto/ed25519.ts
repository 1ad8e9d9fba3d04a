// Ed25519 through node:crypto: its verify is roughly 12x faster than @noble/curves here, and verification
// dominates a validator's CPU. Keys are interchangeable with the libp2p peer identity, whose raw private key
// is the 64-byte seed || publicKey form.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

export const ED25519_SEED_BYTES = 32
export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64

// DER headers that wrap a raw key into PKCS#8 / SPKI, the forms node:crypto imports.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface Ed25519KeyPair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** Raw 32-byte public key, as named in the genesis file. */
  readonly publicKeyRaw: Uint8Array
}

export function generateEd25519 (): Ed25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKey, publicKey, publicKeyRaw: exportPublicKeyRaw(publicKey) }
}

/** From a 32-byte seed, or libp2p's 64-byte seed || publicKey (the public half must match the seed). */
export function ed25519FromSeed (raw: Uint8Array): Ed25519KeyPair {
  if (raw.byteLength !== ED25519_SEED_BYTES && raw.byteLength !== ED25519_SEED_BYTES + ED25519_PUBLIC_KEY_BYTES) {
    throw new Error(`ed25519 private key must be 32 or 64 bytes, got ${raw.byteLength}`)
  }
  const seed = raw.subarray(0, ED25519_SEED_BYTES)
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const publicKey = createPublicKey(privateKey)
  const publicKeyRaw = exportPublicKeyRaw(publicKey)
  if (raw.byteLength > ED25519_SEED_BYTES && !Buffer.from(raw.subarray(ED25519_SEED_BYTES)).equals(publicKeyRaw)) {
    throw new Error('ed25519 64-byte private key: public half does not match the seed')
  }
  return { privateKey, publicKey, publicKeyRaw }
}

export function ed25519PublicKeyFromRaw (raw: Uint8Array): KeyObject {
  if (raw.byteLength !== ED25519_PUBLIC_KEY_BYTES) throw new Error(`ed25519 public key must be 32 bytes, got ${raw.byteLength}`)
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
}

export function exportPublicKeyRaw (publicKey: KeyObject): Uint8Array {
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.byteLength - ED25519_PUBLIC_KEY_BYTES))
}

export function ed25519Sign (privateKey: KeyObject, data: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, data, privateKey))
}

/** False for a wrong or malformed signature; never throws on hostile input. */
export function ed25519Verify (publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength !== ED25519_SIGNATURE_BYTES) return false
  try {
    return nodeVerify(null, data, publicKey, signature)
  } catch {
    return false
  }
}
