// ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381, suite 0x03): the verifiable random function ProBFT uses to pick
// each replica's vote sample, so that a sample is unpredictable before its owner reveals it, unique per
// input, and checkable by every recipient. Point math is @noble/curves (strict RFC 8032 decoding); SHA-512
// is node:crypto's, which is native. Like the signer, protocols receive it injected (the `Vrf` interface),
// so the simulator can swap in `fakeVrf`, a one-hash stand-in, for runs with thousands of seeds.
import { createHash } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { mulAddUnsafe } from '@noble/curves/abstract/curve.js'

export const VRF_PROOF_BYTES = 80
export const VRF_OUTPUT_BYTES = 64
export const VRF_PUBLIC_KEY_BYTES = 32
export const VRF_SECRET_KEY_BYTES = 32
/** RFC 9381 §5.5: the suite byte of ECVRF-EDWARDS25519-SHA512-TAI, the first byte of every hash input. */
export const VRF_SUITE = 0x03
export const VRF_SUITE_NAME = 'ECVRF-EDWARDS25519-SHA512-TAI'

type Point = InstanceType<typeof ed25519.Point>
const Point = ed25519.Point
const L = Point.Fn.ORDER
const C_LEN = 16
const PT_LEN = 32

// Domain separators of RFC 9381: front bytes of encode_to_curve (0x01), challenge (0x02), proof_to_hash
// (0x03); every hash input ends with the back byte 0x00.
const ENCODE_FRONT = 0x01
const CHALLENGE_FRONT = 0x02
const HASH_FRONT = 0x03
const BACK = 0x00

export interface VrfKeyPair {
  /** The 32-byte secret seed (RFC 9381's SK, the same format as an Ed25519 seed). */
  readonly secretKey: Uint8Array
  /** point_to_string(x·B), 32 bytes. */
  readonly publicKey: Uint8Array
}

export interface VrfOutput {
  /** pi: Gamma(32) || c(16) || s(32). */
  readonly proof: Uint8Array
  /** beta = proof_to_hash(pi), 64 bytes. */
  readonly beta: Uint8Array
}

/**
 * What a protocol is given, like its Signer: it proves with its own key and verifies anyone's proof.
 * `verify` returns beta, or null for any invalid input (wrong key, alpha, length, encoding); it never throws.
 */
export interface Vrf {
  readonly publicKey: Uint8Array
  prove (alpha: Uint8Array): VrfOutput
  verify (publicKey: Uint8Array, alpha: Uint8Array, proof: Uint8Array): Uint8Array | null
}

function sha512 (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

function leToBigInt (bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i])
  return n
}

function bigIntToLe (n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return out
}

/** RFC 8032 §5.1.3 decoding, strict: null for y >= p, x = 0 with the sign bit set, or a non-point. */
function stringToPoint (bytes: Uint8Array): Point | null {
  if (bytes.length !== PT_LEN) return null
  try {
    return Point.fromBytes(bytes, false)
  } catch {
    return null
  }
}

/** Secret multiplications (x, k) go through the constant-time ladder, which refuses 0. */
function mulSecret (p: Point, scalar: bigint): Point {
  return scalar === 0n ? Point.ZERO : p.multiply(scalar)
}

interface SecretScalar { readonly x: bigint, readonly prefix: Uint8Array, readonly publicKey: Uint8Array, readonly Y: Point }

/** RFC 8032 §5.1.5: x is the clamped first half of SHA-512(SK) (reduced mod L), the nonce prefix the second. */
function expandSecret (secretKey: Uint8Array): SecretScalar {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== VRF_SECRET_KEY_BYTES) {
    throw new Error(`VRF secret key must be ${VRF_SECRET_KEY_BYTES} bytes, got ${secretKey?.length}`)
  }
  const h = sha512(secretKey)
  const head = h.slice(0, 32)
  head[0] &= 248
  head[31] &= 127
  head[31] |= 64
  const x = leToBigInt(head) % L
  const Y = mulSecret(Point.BASE, x)
  return { x, prefix: h.slice(32, 64), publicKey: Y.toBytes(), Y }
}

/** §5.4.1.1 try_and_increment, salt = PK_string. Variable time in alpha, which is public. */
function encodeToCurve (publicKey: Uint8Array, alpha: Uint8Array): { H: Point, ctr: number } {
  const ctrByte = new Uint8Array(1)
  for (let ctr = 0; ctr < 256; ctr++) {
    ctrByte[0] = ctr
    const hash = sha512(Uint8Array.of(VRF_SUITE, ENCODE_FRONT), publicKey, alpha, ctrByte, Uint8Array.of(BACK))
    const candidate = stringToPoint(hash.subarray(0, 32))
    if (candidate === null) continue
    const H = candidate.clearCofactor()
    if (!H.is0()) return { H, ctr }
  }
  // Probability 2^-256: a hash that never lands on the curve.
  throw new Error('ECVRF encode_to_curve: no point after 256 tries')
}

/** §5.4.2.2: k = SHA-512(prefix || h_string) mod L, as an RFC 8032 signing nonce. */
function nonce (prefix: Uint8Array, hString: Uint8Array): bigint {
  return leToBigInt(sha512(prefix, hString)) % L
}

/** §5.4.3 with the RFC 9381 inputs: the public key Y first, then H, Gamma, U, V. Older drafts omitted Y. */
function challenge (points: readonly Uint8Array[]): bigint {
  return leToBigInt(sha512(Uint8Array.of(VRF_SUITE, CHALLENGE_FRONT), ...points, Uint8Array.of(BACK)).subarray(0, C_LEN))
}

interface DecodedProof { readonly Gamma: Point, readonly c: bigint, readonly s: bigint }

/**
 * §5.4.4 decode_proof, plus one check the RFC leaves out: a small-order Gamma is refused (an honest Gamma
 * is x·H, of order L, so this rejects no honest proof and closes off degenerate outputs).
 */
function decodeProof (proof: Uint8Array): DecodedProof | null {
  if (!(proof instanceof Uint8Array) || proof.length !== VRF_PROOF_BYTES) return null
  const Gamma = stringToPoint(proof.subarray(0, PT_LEN))
  if (Gamma === null || Gamma.isSmallOrder()) return null
  const c = leToBigInt(proof.subarray(PT_LEN, PT_LEN + C_LEN))
  const s = leToBigInt(proof.subarray(PT_LEN + C_LEN, VRF_PROOF_BYTES))
  if (s >= L) return null
  return { Gamma, c, s }
}

/** §5.2 proof_to_hash_with_cofactor: beta = SHA-512(0x03 || 0x03 || point_to_string(8·Gamma) || 0x00). */
function gammaToHash (Gamma: Point): Uint8Array {
  return sha512(Uint8Array.of(VRF_SUITE, HASH_FRONT), Gamma.clearCofactor().toBytes(), Uint8Array.of(BACK))
}

function proveWith (key: SecretScalar, alpha: Uint8Array): VrfOutput {
  const { H } = encodeToCurve(key.publicKey, alpha)
  const hString = H.toBytes()
  const Gamma = mulSecret(H, key.x)
  const k = nonce(key.prefix, hString)
  const gString = Gamma.toBytes()
  const c = challenge([key.publicKey, hString, gString, mulSecret(Point.BASE, k).toBytes(), mulSecret(H, k).toBytes()])
  const s = (k + c * key.x) % L
  const proof = new Uint8Array(VRF_PROOF_BYTES)
  proof.set(gString, 0)
  proof.set(bigIntToLe(c, C_LEN), PT_LEN)
  proof.set(bigIntToLe(s, 32), PT_LEN + C_LEN)
  return { proof, beta: gammaToHash(Gamma) }
}

interface PublicKeyPoint { readonly bytes: Uint8Array, readonly Y: Point }

/** §5.4.5 validate_key plus decoding: null for a non-canonical, non-point or small-order (incl. identity) key. */
function decodePublicKey (publicKey: Uint8Array): PublicKeyPoint | null {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== VRF_PUBLIC_KEY_BYTES) return null
  const Y = stringToPoint(publicKey)
  if (Y === null || Y.isSmallOrder()) return null
  return { bytes: Uint8Array.from(publicKey), Y }
}

function verifyWith (key: PublicKeyPoint, alpha: Uint8Array, proof: Uint8Array): Uint8Array | null {
  if (!(alpha instanceof Uint8Array)) return null
  const d = decodeProof(proof)
  if (d === null) return null
  const { H } = encodeToCurve(key.bytes, alpha)
  // c and s are public: variable-time multiplication is fine here. U uses the base point's table (and the
  // key's, when ecvrf cached one); V = s·H + c·(-Gamma) shares one doubling chain (Strauss-Shamir).
  const U = Point.BASE.multiplyUnsafe(d.s).subtract(key.Y.multiplyUnsafe(d.c))
  const V = mulAddUnsafe(Point, [H, d.Gamma.negate()], [d.s, d.c])
  const c2 = challenge([key.bytes, H.toBytes(), proof.subarray(0, PT_LEN), U.toBytes(), V.toBytes()])
  return c2 === d.c ? gammaToHash(d.Gamma) : null
}

/** The key pair of a 32-byte seed (the seed is the secret key, as for Ed25519). */
export function vrfKeyFromSeed (seed32: Uint8Array): VrfKeyPair {
  const key = expandSecret(seed32)
  return { secretKey: Uint8Array.from(seed32), publicKey: key.publicKey }
}

/** RFC 9381 §5.1 ECVRF_prove: the 80-byte proof pi. Deterministic. */
export function vrfProve (secretKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  return proveWith(expandSecret(secretKey), alpha).proof
}

/** RFC 9381 §5.3 ECVRF_verify with validate_key: beta (64 bytes), or null; never throws on bad input. */
export function vrfVerify (publicKey: Uint8Array, alpha: Uint8Array, proof: Uint8Array): Uint8Array | null {
  try {
    const key = decodePublicKey(publicKey)
    return key === null ? null : verifyWith(key, alpha, proof)
  } catch {
    return null
  }
}

/**
 * RFC 9381 §5.2 ECVRF_proof_to_hash. It does NOT verify the proof: use the beta that `vrfVerify` returns for
 * anything received. Throws on a proof that does not even decode.
 */
export function vrfProofToHash (proof: Uint8Array): Uint8Array {
  const d = decodeProof(proof)
  if (d === null) throw new Error('ECVRF proof does not decode (length, Gamma encoding or s >= L)')
  return gammaToHash(d.Gamma)
}

/** True when `publicKey` is a canonical, non-small-order point: what genesis requires of a validator's VRF key. */
export function isValidVrfPublicKey (publicKey: Uint8Array): boolean {
  try {
    return decodePublicKey(publicKey) !== null
  } catch {
    return false
  }
}

// Validators are few and fixed, and every vote carries a proof: decoding each sender's key once, with a
// window table for c·Y (about 17 ms and 100 KB per key, then c·Y costs half), pays after a few dozen votes.
const KEY_CACHE_LIMIT = 1024
const KEY_WINDOW_BITS = 4

/** The real ECVRF behind the `Vrf` interface; verify keeps the decoded keys of the senders it has seen. */
export function ecvrf (secretKey: Uint8Array): Vrf {
  const key = expandSecret(secretKey)
  const keys = new Map<string, PublicKeyPoint | null>()
  return {
    publicKey: key.publicKey,
    prove: (alpha) => proveWith(key, alpha),
    verify (publicKey, alpha, proof) {
      try {
        if (!(publicKey instanceof Uint8Array)) return null
        const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex')
        let decoded = keys.get(id)
        if (decoded === undefined) {
          if (keys.size >= KEY_CACHE_LIMIT) keys.clear()
          decoded = decodePublicKey(publicKey)
          decoded?.Y.precompute(KEY_WINDOW_BITS, false)
          keys.set(id, decoded)
        }
        return decoded === null ? null : verifyWith(decoded, alpha, proof)
      } catch {
        return null
      }
    }
  }
}

const FAKE_TAG = new TextEncoder().encode('NovaCron/fake-vrf/v1')

/** A 32-byte fake VRF public key for a simulated replica's name (any 32 bytes work as a fake key). */
export function fakeVrfPublicKey (name: string): Uint8Array {
  return sha512(FAKE_TAG, new TextEncoder().encode(name)).slice(0, VRF_PUBLIC_KEY_BYTES)
}

function fakeBeta (publicKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  return sha512(FAKE_TAG, publicKey, alpha)
}

/**
 * Simulator-only VRF: beta = SHA-512(tag || pk || alpha), and the 80-byte proof is beta || pk[0..16], so it
 * is one hash to make or check, keeps the wire size of a real proof, and is still refused under another key
 * or alpha. It is not secret (anyone can compute anyone's beta): fine for the simulator's scripted
 * adversaries, never for a node.
 */
export function fakeVrf (publicKey: Uint8Array): Vrf {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== VRF_PUBLIC_KEY_BYTES) {
    throw new Error(`fake VRF public key must be ${VRF_PUBLIC_KEY_BYTES} bytes`)
  }
  const own = Uint8Array.from(publicKey)
  return {
    publicKey: own,
    prove (alpha) {
      const beta = fakeBeta(own, alpha)
      const proof = new Uint8Array(VRF_PROOF_BYTES)
      proof.set(beta, 0)
      proof.set(own.subarray(0, VRF_PROOF_BYTES - VRF_OUTPUT_BYTES), VRF_OUTPUT_BYTES)
      return { proof, beta }
    },
    verify (pk, alpha, proof) {
      if (!(pk instanceof Uint8Array) || pk.length !== VRF_PUBLIC_KEY_BYTES) return null
      if (!(alpha instanceof Uint8Array) || !(proof instanceof Uint8Array) || proof.length !== VRF_PROOF_BYTES) return null
      const beta = fakeBeta(pk, alpha)
      for (let i = 0; i < VRF_OUTPUT_BYTES; i++) if (beta[i] !== proof[i]) return null
      for (let i = VRF_OUTPUT_BYTES; i < VRF_PROOF_BYTES; i++) if (pk[i - VRF_OUTPUT_BYTES] !== proof[i]) return null
      return beta
    }
  }
}

/**
 * The RFC's intermediate steps, for tests that check them against Appendix B.3 (H, ctr, k, U, V) and for the
 * test that builds old-draft proofs. Not for protocol use.
 */
export const ecvrfInternals = {
  encodeToCurve (publicKey: Uint8Array, alpha: Uint8Array): { h: Uint8Array, ctr: number } {
    const { H, ctr } = encodeToCurve(publicKey, alpha)
    return { h: H.toBytes(), ctr }
  },
  /** x (reduced mod L), k, and the points U = k·B and V = k·H of a proof, and the challenge's inputs. */
  proveSteps (secretKey: Uint8Array, alpha: Uint8Array) {
    const key = expandSecret(secretKey)
    const { H } = encodeToCurve(key.publicKey, alpha)
    const hString = H.toBytes()
    const k = nonce(key.prefix, hString)
    return {
      x: key.x,
      k,
      h: hString,
      gamma: mulSecret(H, key.x).toBytes(),
      u: mulSecret(Point.BASE, k).toBytes(),
      v: mulSecret(H, k).toBytes()
    }
  },
  challenge,
  order: L,
  encodeProof (gamma: Uint8Array, c: bigint, s: bigint): Uint8Array {
    const proof = new Uint8Array(VRF_PROOF_BYTES)
    proof.set(gamma, 0)
    proof.set(bigIntToLe(c, C_LEN), PT_LEN)
    proof.set(bigIntToLe(s, 32), PT_LEN + C_LEN)
    return proof
  }
}
