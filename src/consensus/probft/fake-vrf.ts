// A cheap deterministic stand-in for ECVRF, for the simulator and unit tests only: a validator's "proof"
// is SHA-512(its fake public key || alpha), so samples stay fixed by public state, but anyone could compute
// anyone's proof. The node always injects the real ECVRF (RFC 9381); nothing here is secret.
import { createHash } from 'node:crypto'
import { bytesEqual } from '../../crypto/hash.ts'
import type { ProtocolVrf, VrfProver } from '../core/module.ts'
import type { ValidatorSet } from '../core/validators.ts'

const PROOF_BYTES = 80

export function fakeVrfPublicKey (id: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update('novacron/fake-vrf/').update(id).digest())
}

const proofOf = (publicKey: Uint8Array, alpha: Uint8Array): Uint8Array => {
  const out = new Uint8Array(PROOF_BYTES)
  out.set(createHash('sha512').update(publicKey).update(alpha).digest())
  return out
}
const betaOf = (proof: Uint8Array): Uint8Array => new Uint8Array(createHash('sha512').update(proof).digest())

export function fakeVrf (id: string): VrfProver {
  const pk = fakeVrfPublicKey(id)
  return {
    prove: (alpha) => { const proof = proofOf(pk, alpha); return { proof, beta: betaOf(proof) } },
    verify: (publicKey, alpha, proof) => proof.byteLength === PROOF_BYTES && bytesEqual(proof, proofOf(publicKey, alpha)) ? betaOf(proof) : null
  }
}

/** The fake VRF of `self` with every validator's fake public key. */
export function fakeProtocolVrf (self: string, validators: ValidatorSet): ProtocolVrf {
  return { vrf: fakeVrf(self), publicKeys: new Map(validators.ids.map((id) => [id, fakeVrfPublicKey(id)])) }
}
