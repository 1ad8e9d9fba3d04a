// Signing is injected into consensus so that the simulator can run thousands of seeds with cheap fake
// signatures while the node uses real Ed25519; protocols only ever see these two interfaces.
import type { KeyObject } from 'node:crypto'
import { createHash } from 'node:crypto'
import { ed25519FromSeed, ed25519PublicKeyFromRaw, ed25519Sign, ed25519Verify } from './ed25519.ts'
import type { Ed25519KeyPair } from './ed25519.ts'

export interface Signer {
  /** The identity the signatures verify under (a validator id). */
  readonly id: string
  sign (data: Uint8Array): Uint8Array
}

export interface Verifier {
  /** False when the signer is unknown or the signature does not match; never throws. */
  verify (signer: string, data: Uint8Array, signature: Uint8Array): boolean
}

export class Ed25519Signer implements Signer {
  readonly id: string
  readonly #key: KeyObject
  constructor (id: string, keyPair: Ed25519KeyPair) {
    this.id = id
    this.#key = keyPair.privateKey
  }

  static fromSeed (id: string, seed: Uint8Array): Ed25519Signer {
    return new Ed25519Signer(id, ed25519FromSeed(seed))
  }

  sign (data: Uint8Array): Uint8Array {
    return ed25519Sign(this.#key, data)
  }
}

export class Ed25519Verifier implements Verifier {
  readonly #keys = new Map<string, KeyObject>()
  /** `publicKeys`: signer id -> raw 32-byte Ed25519 public key. */
  constructor (publicKeys: Iterable<readonly [string, Uint8Array]>) {
    for (const [id, raw] of publicKeys) this.#keys.set(id, ed25519PublicKeyFromRaw(raw))
  }

  verify (signer: string, data: Uint8Array, signature: Uint8Array): boolean {
    const key = this.#keys.get(signer)
    return key !== undefined && ed25519Verify(key, data, signature)
  }
}

const FAKE_SIGNATURE_BYTES = 16

/**
 * Simulator-only signatures: a truncated keyed sha256. Unforgeable for adversaries that play by the
 * simulator's rules (they never read another node's secret), and about 50x cheaper than Ed25519.
 */
export class FakeSigner implements Signer {
  readonly id: string
  constructor (id: string) { this.id = id }
  sign (data: Uint8Array): Uint8Array { return fakeSignature(this.id, data) }
}

export class FakeVerifier implements Verifier {
  verify (signer: string, data: Uint8Array, signature: Uint8Array): boolean {
    if (signature.byteLength !== FAKE_SIGNATURE_BYTES) return false
    const expected = fakeSignature(signer, data)
    for (let i = 0; i < FAKE_SIGNATURE_BYTES; i++) if (expected[i] !== signature[i]) return false
    return true
  }
}

function fakeSignature (id: string, data: Uint8Array): Uint8Array {
  const digest = createHash('sha256').update('fake-sig/').update(id).update('\0').update(data).digest()
  return new Uint8Array(digest.buffer, digest.byteOffset, FAKE_SIGNATURE_BYTES)
}
