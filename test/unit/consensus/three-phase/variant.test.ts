// The three-phase engine's seam: a variant with its own tag, votes sent to a list instead of broadcast,
// proof bytes on every vote and an observation hook is a complete protocol: it passes the compliance suite,
// its votes carry its proofs, and it observes every commit in order.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MessageSigner, MessageVerifier, decodeSigned, encodeSigned } from '../../../../src/consensus/core/message.ts'
import type { ProtocolModule } from '../../../../src/consensus/core/module.ts'
import { pbftModule } from '../../../../src/consensus/pbft/module.ts'
import { fullQuorumVotes } from '../../../../src/consensus/pbft/variant.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/codec.ts'
import { roundRobin } from '../../../../src/consensus/core/leaders.ts'
import { ThreePhaseReplica, threePhaseCodec, threePhaseTimers } from '../../../../src/consensus/three-phase/index.ts'
import type { ReplicaObservation, ThreePhaseMessage, ThreePhaseParams, ThreePhaseVariant } from '../../../../src/consensus/three-phase/index.ts'
import { FakeSigner } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { protocolCompliance } from '../compliance/protocol.ts'

const TAG = 'test-3p'
const codec = threePhaseCodec(TAG, true)
const observed = new Map<string, ReplicaObservation[]>()
const proofOf = (self: string, view: number, seq: number): Uint8Array => new TextEncoder().encode(`proof/${self}/${view}/${seq}`)

const module: ProtocolModule<ThreePhaseParams, ThreePhaseMessage> = {
  ...pbftModule,
  name: TAG,
  codec,
  timers: Object.values(threePhaseTimers(TAG)),
  create: (keys, params) => {
    const seen: ReplicaObservation[] = []
    observed.set(keys.self, seen)
    const full = fullQuorumVotes(keys.validators.quorums.quorum)
    const variant: ThreePhaseVariant = {
      protocol: TAG,
      leaders: roundRobin(keys.validators),
      // Every vote goes to an explicit list (everyone else), and carries a proof.
      votes: { ...full, recipients: () => keys.validators.others(keys.self), prove: (_phase, view, seq) => proofOf(keys.self, view, seq) },
      observe: (e) => { seen.push(e) }
    }
    return new ThreePhaseReplica({
      self: keys.self,
      validators: keys.validators,
      signer: new MessageSigner(keys.signer, codec, keys.genesisHash),
      verifier: new MessageVerifier(keys.verifier, codec, keys.genesisHash),
      params,
      variant,
      codec
    })
  },
  messageSigner: (keys) => new MessageSigner(keys.signer, codec, keys.genesisHash),
  plantedBugs: []
}

protocolCompliance(module)

test('a variant\'s tag is its signing domain and codec tag; its votes carry their proofs', () => {
  const signer = module.messageSigner({ self: 'a', validators: undefined as never, signer: new FakeSigner('a'), verifier: undefined as never, genesisHash: sha256(new Uint8Array([1])) })
  const vote = signer.sign({ protocol: TAG, type: 'prepare', view: 1, seq: 2, digest: sha256(new Uint8Array([2])), proof: proofOf('a', 1, 2) })
  const back = decodeSigned(codec, encodeSigned(codec, vote))
  assert.ok(back.ok && back.value.msg.type === 'prepare' && new TextDecoder().decode(back.value.msg.proof) === 'proof/a/1/2')
  // PBFT's codec does not take another variant's messages.
  assert.equal(decodeSigned(pbftCodec, encodeSigned(codec, vote)).ok, false)
})

test('the observation hook sees every commit in order, with its view and primary', () => {
  assert.ok(observed.size > 0, 'the compliance runs built replicas')
  for (const [id, seen] of observed) {
    const commits = seen.filter((e) => e.kind === 'committed')
    commits.forEach((e, i) => assert.equal(e.kind === 'committed' && e.seq, (commits[0] as { seq: number }).seq + i, `${id} observes commits in order`))
    for (const e of commits) assert.ok(e.kind === 'committed' && e.primary === 'a' && e.view === 0)
  }
})
