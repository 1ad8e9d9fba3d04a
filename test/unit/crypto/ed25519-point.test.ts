// The dependency-free VRF public key check that genesis uses must agree with the strict @noble/curves
// decoder of src/crypto/vrf.ts on every input: random bytes, every small-order point and the edge encodings.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { isStrictNonSmallOrderPoint } from '../../../src/crypto/ed25519-point.ts'
import { isValidVrfPublicKey, vrfKeyFromSeed } from '../../../src/crypto/vrf.ts'

const P = 2n ** 255n - 19n
const le32 = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) { out[i] = Number(n & 0xffn); n >>= 8n }
  return out
}
const RANDOM_INPUTS = 1000

test('agrees with the noble decoder on random 32-byte strings (about half are points)', () => {
  let points = 0
  for (let i = 0; i < RANDOM_INPUTS; i++) {
    const bytes = new Uint8Array(createHash('sha256').update(`point-${i}`).digest())
    const expected = isValidVrfPublicKey(bytes)
    if (expected) points++
    assert.equal(isStrictNonSmallOrderPoint(bytes), expected, Buffer.from(bytes).toString('hex'))
  }
  assert.ok(points > RANDOM_INPUTS * 0.4 && points < RANDOM_INPUTS * 0.6, `${points} points`)
})

test('real public keys pass; small-order points, non-canonical encodings and wrong lengths fail', () => {
  for (let i = 0; i < 20; i++) assert.equal(isStrictNonSmallOrderPoint(vrfKeyFromSeed(new Uint8Array(32).fill(i)).publicKey), true)
  for (const t of ED25519_TORSION_SUBGROUP) assert.equal(isStrictNonSmallOrderPoint(Buffer.from(t, 'hex')), false, t)
  const edge: Uint8Array[] = []
  for (let y = 0n; y < 19n; y++) {
    edge.push(le32(y), le32(y + P))
    const signed = le32(y)
    signed[31] |= 0x80
    edge.push(signed)
  }
  for (const e of edge) assert.equal(isStrictNonSmallOrderPoint(e), isValidVrfPublicKey(e), Buffer.from(e).toString('hex'))
  assert.equal(isStrictNonSmallOrderPoint(le32(3n)), true)
  assert.equal(isStrictNonSmallOrderPoint(le32(3n + P)), false)
  assert.equal(isStrictNonSmallOrderPoint(new Uint8Array(31)), false)
  assert.equal(isStrictNonSmallOrderPoint(new Uint8Array(33)), false)
})
