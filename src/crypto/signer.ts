// Signing is injected into consensus so that the simulator can run thousands of seeds with cheap fake
// signatures while the node uses real Ed25519; protocols only ever see these two interfaces.
import type { KeyObject } from 'node:crypto'
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
 * Simulator-only signatures: a keyed 128-bit non-cryptographic hash (four multiply-xor lanes). Unforgeable
 * for adversaries that play by the simulator's rules (they never compute another node's tag), and far
 * cheaper than Ed25519 or even sha256 through node:crypto for the millions of messages a suite signs.
 */
export class FakeSigner implements Signer {
  readonly id: string
  readonly #key: number
  constructor (id: string) {
    this.id = id
    this.#key = keyOf(id)
  }

  sign (data: Uint8Array): Uint8Array { return fakeSignature(this.#key, data) }
}

export class FakeVerifier implements Verifier {
  readonly #keys = new Map<string, number>()

  verify (signer: string, data: Uint8Array, signature: Uint8Array): boolean {
    if (signature.byteLength !== FAKE_SIGNATURE_BYTES) return false
    let key = this.#keys.get(signer)
    if (key === undefined) {
      key = keyOf(signer)
      this.#keys.set(signer, key)
    }
    const expected = fakeSignature(key, data)
    for (let i = 0; i < FAKE_SIGNATURE_BYTES; i++) if (expected[i] !== signature[i]) return false
    return true
  }
}

function keyOf (id: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
  return h >>> 0
}

function fakeSignature (key: number, data: Uint8Array): Uint8Array {
  let a = key ^ 0x9e3779b9
  let b = key ^ 0x85ebca6b
  let c = key ^ 0xc2b2ae35
  let d = key ^ 0x27d4eb2f
  for (let i = 0; i < data.length; i++) {
    const x = data[i]
    a = Math.imul(a ^ x, 0x01000193)
    b = Math.imul(b ^ x, 0x5bd1e995)
    c = Math.imul(c ^ a, 0x85ebca6b) ^ x
    d = Math.imul(d ^ b, 0xcc9e2d51) + x
  }
  const out = new Uint8Array(FAKE_SIGNATURE_BYTES)
  const v = new DataView(out.buffer)
  v.setUint32(0, a ^ (d >>> 13))
  v.setUint32(4, b ^ (c >>> 15))
  v.setUint32(8, c ^ (a >>> 16))
  v.setUint32(12, d ^ (b >>> 11))
  return out
}
