// A dependency-free check that 32 bytes are a usable ECVRF / Ed25519 public key: a canonical RFC 8032
// encoding (y < p; x = 0 never with the sign bit) of a curve point that is not of small order. Reading a
// genesis runs it for every validator's VRF key, and thin CLI commands read genesis: this keeps
// @noble/curves (tens of ms to load) out of them. test/unit/crypto/ed25519-point.test.ts checks it against
// the noble-based decoder in vrf.ts.

const P = 2n ** 255n - 19n
// d = -121665 / 121666 mod p, the edwards25519 curve constant.
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n

// The eight points of order dividing 8, canonically encoded: after a strict decode, a point is of small order
// exactly when its encoding is one of these.
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'
])

function powMod (base: bigint, exp: bigint): bigint {
  let result = 1n
  let b = base % P
  while (exp > 0n) {
    if ((exp & 1n) === 1n) result = (result * b) % P
    b = (b * b) % P
    exp >>= 1n
  }
  return result
}

/** True for a canonical encoding of an edwards25519 point outside the small-order subgroup. */
export function isStrictNonSmallOrderPoint (bytes: Uint8Array): boolean {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) return false
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
  if (SMALL_ORDER.has(hex)) return false
  let y = 0n
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? bytes[i] & 0x7f : bytes[i])
  if (y >= P) return false
  const y2 = (y * y) % P
  const u = (y2 - 1n + P) % P
  const v = (D * y2 + 1n) % P
  // x = 0 only for y = ±1: small-order points (refused above when canonical), and with the sign bit set a
  // non-canonical encoding (RFC 8032 §5.1.3 step 4).
  if (u === 0n) return false
  // x² = u / v must be a square: Euler's criterion.
  const x2 = (u * powMod(v, P - 2n)) % P
  return powMod(x2, (P - 1n) / 2n) === 1n
}
