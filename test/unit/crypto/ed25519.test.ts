import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ed25519FromSeed, ed25519Sign, ed25519Verify, generateEd25519 } from '../../../src/crypto/ed25519.ts'
import { Ed25519Signer, Ed25519Verifier, FakeSigner, FakeVerifier } from '../../../src/crypto/signer.ts'
import { DomainTags, domainTag } from '../../../src/crypto/domain.ts'
import { fromHex, sha256, toHex } from '../../../src/crypto/hash.ts'

// RFC 8032 test 1.
const SEED = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
const PUB = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
const SIG = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'

test('seed import matches RFC 8032 vector 1', () => {
  const kp = ed25519FromSeed(SEED)
  assert.equal(toHex(kp.publicKeyRaw), PUB)
  assert.equal(toHex(ed25519Sign(kp.privateKey, new Uint8Array())), SIG)
})

test('accepts libp2p 64-byte seed||publicKey and rejects a mismatched public half', () => {
  const kp = ed25519FromSeed(new Uint8Array([...SEED, ...fromHex(PUB)]))
  assert.equal(toHex(kp.publicKeyRaw), PUB)
  const bad = new Uint8Array([...SEED, ...new Uint8Array(32)])
  assert.throws(() => ed25519FromSeed(bad), /does not match/)
  assert.throws(() => ed25519FromSeed(new Uint8Array(31)), /32 or 64 bytes/)
})

test('sign/verify round trip, tamper and malformed signatures fail without throwing', () => {
  const kp = generateEd25519()
  const data = new TextEncoder().encode('hello')
  const sig = ed25519Sign(kp.privateKey, data)
  assert.ok(ed25519Verify(kp.publicKey, data, sig))
  const tampered = sig.slice()
  tampered[0] ^= 1
  assert.equal(ed25519Verify(kp.publicKey, data, tampered), false)
  assert.equal(ed25519Verify(kp.publicKey, data, sig.subarray(0, 10)), false)
})

test('Ed25519Signer/Verifier by id; unknown ids fail', () => {
  const s = Ed25519Signer.fromSeed('a', SEED)
  const v = new Ed25519Verifier([['a', fromHex(PUB)]])
  const data = new Uint8Array([1, 2, 3])
  assert.ok(v.verify('a', data, s.sign(data)))
  assert.equal(v.verify('b', data, s.sign(data)), false)
})

test('fake signatures bind signer and data', () => {
  const v = new FakeVerifier()
  const data = new Uint8Array([9])
  const sig = new FakeSigner('x').sign(data)
  assert.ok(v.verify('x', data, sig))
  assert.equal(v.verify('y', data, sig), false)
  assert.equal(v.verify('x', new Uint8Array([8]), sig), false)
})

test('domain tag names version, genesis and type and separates contexts', () => {
  const g = sha256(new Uint8Array([1]))
  assert.equal(new TextDecoder().decode(domainTag(g, 'pbft/prepare')), `novacron/v1/${toHex(g)}/pbft/prepare\0`)
  const tags = new DomainTags(g)
  const payload = new Uint8Array([7])
  assert.notDeepEqual(tags.signingBytes('pbft/prepare', payload), tags.signingBytes('pbft/commit', payload))
  assert.notDeepEqual(tags.signingBytes('pbft/prepare', payload), new DomainTags(sha256(new Uint8Array([2]))).signingBytes('pbft/prepare', payload))
})
