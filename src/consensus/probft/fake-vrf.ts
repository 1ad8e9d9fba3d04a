// The simulator's and unit tests' VRF for ProBFT: crypto/vrf.ts's one-hash fake under a key named after each
// validator. Samples stay fixed by public state, but anyone could compute anyone's proof: never for a node,
// which always injects ECVRF (RFC 9381).
import { fakeVrf, fakeVrfPublicKey } from '../../crypto/vrf.ts'
import type { ProtocolVrf } from '../core/module.ts'
import type { ValidatorSet } from '../core/validators.ts'

/** The fake VRF of `self` with every validator's fake public key. */
export function fakeProtocolVrf (self: string, validators: ValidatorSet): ProtocolVrf {
  return { vrf: fakeVrf(fakeVrfPublicKey(self)), publicKeys: new Map(validators.ids.map((id) => [id, fakeVrfPublicKey(id)])) }
}
