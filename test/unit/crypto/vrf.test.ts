// ECVRF-EDWARDS25519-SHA512-TAI against RFC 9381 Appendix B.3 (Examples 16-18) byte for byte, and the
// rejections a lenient or old-draft implementation would miss: every proof byte flipped, s + L, non-canonical
// points, small-order keys and Gamma, and proofs made with the older drafts' challenge that omits Y.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js'
import {
  ecvrf, ecvrfInternals, fakeVrf, fakeVrfPublicKey, isValidVrfPublicKey, vrfKeyFromSeed, vrfProofToHash, vrfProve, vrfVerify,
  VRF_OUTPUT_BYTES, VRF_PROOF_BYTES, VRF_PUBLIC_KEY_BYTES
} from '../../../src/crypto/vrf.ts'
import { fromHex, toHex } from '../../../src/crypto/hash.ts'

interface Example {
  name: string, sk: string, pk: string, alpha: string, ctr: number, h: string, k: string, u: string, v: string, pi: string, beta: string,
  /** The same key and alpha proved with the old drafts' challenge (no Y): same Gamma and beta, other c and s. */
  piLegacy: string
}

// RFC 9381 Appendix B.3, as recorded (and independently reproduced) in ../shared/design/notes/PROBFT.md §6.6.
const EXAMPLES: Example[] = [
  {
    name: 'Example 16',
    sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    alpha: '',
    ctr: 0,
    h: '91bbed02a99461df1ad4c6564a5f5d829d0b90cfc7903e7a5797bd658abf3318',
    k: '8a49edbd1492a8ee09766befe50a7d563051bf3406cbffc20a88def030730f0f',
    u: 'aef27c725be964c6a9bf4c45ca8e35df258c1878b838f37d9975523f09034071',
    v: '5016572f71466c646c119443455d6cb9b952f07d060ec8286d678615d55f954f',
    pi: '8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805',
    beta: '90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae',
    piLegacy: '8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f5e8bd1839b414219e8626d393787a192241fc442e6569e96c462f62b8079b9ed83ff2ee21c90c7c398802fdeebea4001'
  },
  {
    name: 'Example 17',
    sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    alpha: '72',
    ctr: 1,
    h: '5b659fc3d4e9263fd9a4ed1d022d75eaacc20df5e09f9ea937502396598dc551',
    k: 'd8c3a66921444cb3427d5d989f9b315aa8ca3375e9ec4d52207711a1fdb44107',
    u: '1dcb0a4821a2c48bf53548228b7f170962988f6d12f5439f31987ef41f034ab3',
    v: 'fd03c0bf498c752161bae4719105a074630a2aa5f200ff7b3995f7bfb1513423',
    pi: 'f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02',
    beta: 'eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031',
    piLegacy: 'f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed593f7eaf3eb2f1a968cba3f6e23b386aeeaab7b1ea44a256e811892e13eeae7c9f6ea8992557453eac11c4d5476b1f35a08'
  },
  {
    name: 'Example 18',
    sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    alpha: 'af82',
    ctr: 0,
    h: 'bf4339376f5542811de615e3313d2b36f6f53c0acfebb482159711201192576a',
    k: '5ffdbc72135d936014e8ab708585fda379405542b07e3bd2c0bd48437fbac60a',
    u: '2bae73e15a64042fcebf062abe7e432b2eca6744f3e8265bc38e009cd577ecd5',
    v: '88cba1cb0d4f9b649d9a86026b69de076724a93a65c349c988954f0961c5d506',
    pi: '9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e',
    beta: '645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c452118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f',
    piLegacy: '9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf80e29dc513c01c3a980e0e545bcd848222d08a6c3e3665ff5a4cab13a643bef812e284c6b2ee063a2cb4f456794723ad0a'
  }
]

const P = 2n ** 255n - 19n
const le32 = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) { out[i] = Number(n & 0xffn); n >>= 8n }
  return out
}
const leToBig = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n)

for (const ex of EXAMPLES) {
  test(`RFC 9381 B.3 ${ex.name}: PK, H, k, U, V, pi and beta byte for byte; verify returns beta`, () => {
    const sk = fromHex(ex.sk)
    const alpha = fromHex(ex.alpha)
    const { publicKey, secretKey } = vrfKeyFromSeed(sk)
    assert.equal(toHex(publicKey), ex.pk)
    assert.equal(toHex(secretKey), ex.sk)
    const { h, ctr } = ecvrfInternals.encodeToCurve(publicKey, alpha)
    assert.equal(ctr, ex.ctr)
    assert.equal(toHex(h), ex.h)
    const steps = ecvrfInternals.proveSteps(sk, alpha)
    assert.equal(toHex(le32(steps.k)), ex.k)
    assert.equal(toHex(steps.u), ex.u)
    assert.equal(toHex(steps.v), ex.v)
    const pi = vrfProve(sk, alpha)
    assert.equal(pi.length, VRF_PROOF_BYTES)
    assert.equal(toHex(pi), ex.pi)
    assert.equal(toHex(vrfProve(sk, alpha)), ex.pi, 'prove is deterministic')
    assert.equal(toHex(vrfProofToHash(pi)), ex.beta)
    const beta = vrfVerify(publicKey, alpha, pi)
    assert.ok(beta !== null)
    assert.equal(beta.length, VRF_OUTPUT_BYTES)
    assert.equal(toHex(beta), ex.beta)
    // The injected form gives the same bytes.
    const vrf = ecvrf(sk)
    assert.equal(toHex(vrf.publicKey), ex.pk)
    const out = vrf.prove(alpha)
    assert.equal(toHex(out.proof), ex.pi)
    assert.equal(toHex(out.beta), ex.beta)
    assert.equal(toHex(vrf.verify(publicKey, alpha, pi) ?? new Uint8Array()), ex.beta)
  })

  test(`${ex.name}: every one of the 80 proof bytes flipped is refused`, () => {
    const pk = fromHex(ex.pk)
    const alpha = fromHex(ex.alpha)
    const pi = fromHex(ex.pi)
    const vrf = ecvrf(fromHex(EXAMPLES[0].sk))
    for (let i = 0; i < VRF_PROOF_BYTES; i++) {
      const bad = Uint8Array.from(pi)
      bad[i] ^= 0x01
      assert.equal(vrfVerify(pk, alpha, bad), null, `bit 0 of byte ${i}`)
      bad[i] ^= 0x81
      assert.equal(vrf.verify(pk, alpha, bad), null, `bit 7 of byte ${i}`)
    }
  })

  test(`${ex.name}: old-draft proof (challenge without Y) has the same beta but is refused`, () => {
    const sk = fromHex(ex.sk)
    const alpha = fromHex(ex.alpha)
    const pk = fromHex(ex.pk)
    // Rebuild it from the RFC's own k and x with a challenge over H, Gamma, U, V only: it must equal the
    // notes' value, which shows the notes' negative vector is exactly that bug.
    const steps = ecvrfInternals.proveSteps(sk, alpha)
    const L = ecvrfInternals.order
    const cLegacy = ecvrfInternals.challenge([steps.h, steps.gamma, steps.u, steps.v])
    const legacy = ecvrfInternals.encodeProof(steps.gamma, cLegacy, (steps.k + cLegacy * steps.x) % L)
    assert.equal(toHex(legacy), ex.piLegacy)
    assert.equal(toHex(vrfProofToHash(legacy)), ex.beta, 'the trap: beta alone matches')
    assert.equal(vrfVerify(pk, alpha, legacy), null)
    assert.equal(ecvrf(sk).verify(pk, alpha, legacy), null)
  })

  test(`${ex.name}: s + L (the same s mod L) is refused, and proof_to_hash refuses it too`, () => {
    const pi = fromHex(ex.pi)
    const L = ecvrfInternals.order
    const s = leToBig(pi.subarray(48))
    const bad = Uint8Array.from(pi)
    bad.set(le32(s + L), 48)
    assert.equal(vrfVerify(fromHex(ex.pk), fromHex(ex.alpha), bad), null)
    assert.throws(() => vrfProofToHash(bad), /s >= L/)
  })
}

test('wrong alpha, wrong key and a proof swapped between examples are refused', () => {
  const [a, b] = EXAMPLES
  assert.equal(vrfVerify(fromHex(a.pk), fromHex('00'), fromHex(a.pi)), null, 'alpha with 0x00 appended')
  assert.equal(vrfVerify(fromHex(b.pk), fromHex(b.alpha + '00'), fromHex(b.pi)), null)
  assert.equal(vrfVerify(fromHex(b.pk), fromHex(a.alpha), fromHex(a.pi)), null, "another example's key")
  assert.equal(vrfVerify(fromHex(a.pk), fromHex(b.alpha), fromHex(b.pi)), null, "another example's proof")
})

test('wrong lengths and non-bytes are refused without throwing', () => {
  const ex = EXAMPLES[1]
  const pk = fromHex(ex.pk)
  const alpha = fromHex(ex.alpha)
  const pi = fromHex(ex.pi)
  for (const len of [0, 1, 32, 79, 81, 160]) {
    const bad = new Uint8Array(len)
    bad.set(pi.subarray(0, Math.min(len, pi.length)))
    assert.equal(vrfVerify(pk, alpha, bad), null, `proof of ${len} bytes`)
  }
  assert.equal(vrfVerify(pk, alpha, new Uint8Array([...pi, 0])), null, 'valid proof with a trailing byte')
  for (const len of [0, 31, 33, 64]) assert.equal(vrfVerify(new Uint8Array([...pk, 0, 0, 0]).subarray(0, len), alpha, pi), null, `key of ${len} bytes`)
  assert.equal(vrfVerify(pk, alpha, 'not bytes' as unknown as Uint8Array), null)
  assert.equal(vrfVerify(null as unknown as Uint8Array, alpha, pi), null)
  assert.equal(vrfVerify(pk, undefined as unknown as Uint8Array, pi), null)
  assert.equal(ecvrf(fromHex(ex.sk)).verify(pk, alpha, new Uint8Array(79)), null)
  assert.throws(() => vrfKeyFromSeed(new Uint8Array(31)), /32 bytes/)
  assert.throws(() => vrfProve(new Uint8Array(33), alpha), /32 bytes/)
})

test('non-canonical encodings are refused: Gamma = p + 1, and a large-order point written with y + p', () => {
  const ex = EXAMPLES[0]
  const bad = fromHex(ex.pi)
  bad.set(le32(P + 1n), 0)
  assert.equal(vrfVerify(fromHex(ex.pk), fromHex(ex.alpha), bad), null)
  assert.throws(() => vrfProofToHash(bad))
  // y = 3 is a point of large order; y = 3 + p is the same point written non-canonically (RFC 8032 forbids it).
  assert.equal(isValidVrfPublicKey(le32(3n)), true)
  assert.equal(isValidVrfPublicKey(le32(3n + P)), false)
  const gammaNonCanonical = fromHex(ex.pi)
  gammaNonCanonical.set(le32(3n + P), 0)
  assert.throws(() => vrfProofToHash(gammaNonCanonical), /does not decode/)
  // x = 0 with the sign bit set (y = 1 written as 0100..80).
  const signed = le32(1n)
  signed[31] |= 0x80
  assert.equal(isValidVrfPublicKey(signed), false)
  assert.equal(isValidVrfPublicKey(fromHex(ex.pk)), true)
})

test('small-order public keys (all eight torsion points, the identity included) and small-order Gamma are refused', () => {
  const ex = EXAMPLES[2]
  const alpha = fromHex(ex.alpha)
  const pi = fromHex(ex.pi)
  assert.equal(ED25519_TORSION_SUBGROUP.length, 8)
  for (const t of ED25519_TORSION_SUBGROUP) {
    assert.equal(vrfVerify(fromHex(t), alpha, pi), null, `public key ${t}`)
    assert.equal(isValidVrfPublicKey(fromHex(t)), false)
    const bad = Uint8Array.from(pi)
    bad.set(fromHex(t), 0)
    assert.equal(vrfVerify(fromHex(ex.pk), alpha, bad), null, `Gamma ${t}`)
    assert.throws(() => vrfProofToHash(bad))
  }
})

test('fuzz: random keys round-trip, and random 80-byte proofs never verify or throw', () => {
  for (let i = 0; i < 4; i++) {
    const seed = new Uint8Array(32).map((_, j) => (i * 131 + j * 7) & 0xff)
    const { publicKey } = vrfKeyFromSeed(seed)
    assert.equal(publicKey.length, VRF_PUBLIC_KEY_BYTES)
    const alpha = Uint8Array.of(i, 1, 2, 3)
    const pi = vrfProve(seed, alpha)
    assert.equal(toHex(vrfVerify(publicKey, alpha, pi) ?? new Uint8Array()), toHex(vrfProofToHash(pi)))
    const junk = new Uint8Array(80).map((_, j) => (j * 29 + i * 53 + 11) & 0xff)
    assert.equal(vrfVerify(publicKey, alpha, junk), null)
  }
})

test('fakeVrf: deterministic, checkable, and refused under another key, alpha or a flipped byte', () => {
  const pkA = fakeVrfPublicKey('node-0')
  const pkB = fakeVrfPublicKey('node-1')
  assert.equal(pkA.length, VRF_PUBLIC_KEY_BYTES)
  assert.notEqual(toHex(pkA), toHex(pkB))
  const a = fakeVrf(pkA)
  const b = fakeVrf(pkB)
  const alpha = Uint8Array.of(1, 2, 3)
  const out = a.prove(alpha)
  assert.equal(out.proof.length, VRF_PROOF_BYTES)
  assert.equal(out.beta.length, VRF_OUTPUT_BYTES)
  assert.equal(toHex(a.prove(alpha).proof), toHex(out.proof))
  assert.equal(toHex(b.verify(pkA, alpha, out.proof) ?? new Uint8Array()), toHex(out.beta), 'anyone verifies')
  assert.equal(b.verify(pkB, alpha, out.proof), null, 'other key')
  assert.equal(b.verify(pkA, Uint8Array.of(1, 2, 4), out.proof), null, 'other alpha')
  assert.notEqual(toHex(b.prove(alpha).beta), toHex(out.beta))
  for (let i = 0; i < VRF_PROOF_BYTES; i++) {
    const bad = Uint8Array.from(out.proof)
    bad[i] ^= 1
    assert.equal(a.verify(pkA, alpha, bad), null, `byte ${i}`)
  }
  assert.equal(a.verify(pkA, alpha, out.proof.subarray(0, 79)), null)
  // A fake proof is not a real one, and the real verifier refuses it.
  assert.equal(vrfVerify(pkA, alpha, out.proof), null)
})

test('a proof with a torsion component added to Gamma can verify, with the same beta (why ProBFT dedupes by sender, not proof bytes)', () => {
  // RFC 9381 does not ask Gamma to be torsion-free, and proof_to_hash clears the cofactor, so a prover that
  // adds an order-8 point T to Gamma and grinds nonces until 8 | c (then c·T = 0) gets a second valid proof
  // for the same alpha. Its beta is the same: the VRF output stays unique, the proof bytes do not.
  const ex = EXAMPLES[1]
  const sk = fromHex(ex.sk)
  const alpha = fromHex(ex.alpha)
  const steps = ecvrfInternals.proveSteps(sk, alpha)
  const L = ecvrfInternals.order
  const T = ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1]) // order 8
  const gamma2 = ed25519.Point.fromBytes(steps.gamma).add(T).toBytes()
  let proof: Uint8Array | null = null
  for (let k = 1n; k < 200n && proof === null; k++) {
    const U = ed25519.Point.BASE.multiply(k).toBytes()
    const V = ed25519.Point.fromBytes(steps.h).multiply(k).toBytes()
    const c = ecvrfInternals.challenge([fromHex(ex.pk), steps.h, gamma2, U, V])
    if (c % 8n === 0n) proof = ecvrfInternals.encodeProof(gamma2, c, (k + c * steps.x) % L)
  }
  assert.ok(proof !== null, 'found a nonce with 8 | c')
  assert.notEqual(toHex(proof), ex.pi)
  assert.equal(toHex(vrfVerify(fromHex(ex.pk), alpha, proof) ?? new Uint8Array()), ex.beta)
})
