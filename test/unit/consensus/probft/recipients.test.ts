// ProBFT's recipient checks on real replicas (16 validators, l = 1.5, o = 2: q = 6, samples of 12, the
// fake VRF): a vote counts only with a valid proof for its own (view, phase, key) whose sample holds the
// recipient, once; everything else is refused and counted; a sender that sprays everyone changes nothing
// outside its sample; the leader's header rides in each prepare and a conflicting one changes view.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { buildProbft, probftCodec } from '../../../../src/consensus/probft/module.ts'
import type { ProbftBuild } from '../../../../src/consensus/probft/module.ts'
import type { Commit, FullPrePrepare, Prepare, ThreePhaseMessage } from '../../../../src/consensus/three-phase/messages.ts'

const N = 16
const ids = Array.from({ length: N }, (_, i) => `v${String(i).padStart(2, '0')}`)
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const GENESIS = sha256(new TextEncoder().encode('probft-recipients'))
const keys = (self: string) => ({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: GENESIS })
const signerOf = (id: string): MessageSigner<ThreePhaseMessage> => new MessageSigner(new FakeSigner(id), probftCodec, GENESIS)
const fresh = (): Map<string, ProbftBuild> => {
  const m = new Map<string, ProbftBuild>()
  for (const id of ids) {
    const b = buildProbft(keys(id))
    b.replica.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0)
    m.set(id, b)
  }
  return m
}
const leader = ids[0]
const batch = makeBatch([new TextEncoder().encode('tx-1')])
const proposal = signerOf(leader).sign<FullPrePrepare>({ protocol: 'probft', type: 'pre-prepare', view: 0, seq: 1, digest: batch.id, batch })
const refused = (b: ProbftBuild): number => [...b.variant.stats.refused.values()].reduce((a, c) => a + c, 0)
const logs = (fx: Effect<ThreePhaseMessage>[]): string[] => fx.flatMap((e) => e.kind === 'log' && e.event.type === 'invalid-message' ? [String((e.event as { reason?: string }).reason)] : [])

/** The prepare `sender` sends for the proposal, and the replicas it sends it to. */
function prepareOf (cluster: Map<string, ProbftBuild>, sender: string): { vote: Signed<Prepare>, to: string[] } {
  const fx = (cluster.get(sender) as ProbftBuild).replica.onMessage(leader, proposal as Signed<ThreePhaseMessage>, 1)
  const send = fx.find((e) => e.kind === 'send' && e.msg.msg.type === 'prepare') as Extract<Effect<ThreePhaseMessage>, { kind: 'send' }>
  assert.ok(send !== undefined, 'a backup prepares the proposal')
  return { vote: send.msg as Signed<Prepare>, to: [...send.to] }
}

test('a prepare goes to the sender\'s VRF sample only, with an 80-byte proof and the leader\'s signature', () => {
  const cluster = fresh()
  const { vote, to } = prepareOf(cluster, 'v05')
  assert.ok(to.length === 11 || to.length === 12, `sample of 12 less the sender itself: ${to.length}`)
  assert.ok(!to.includes('v05'))
  assert.equal(vote.msg.proof?.byteLength, 80 + proposal.sig.byteLength)
  assert.deepEqual(vote.msg.proof?.subarray(80), proposal.sig)
  // Its proof yields the same sample at any recipient (the sender chose nothing).
  const members = (cluster.get('v09') as ProbftBuild).variant.sampleOf('v05', 'prepare', 0, 1, (vote.msg.proof as Uint8Array).subarray(0, 80))
  assert.deepEqual([...(members as Set<string>)].filter((id) => id !== 'v05').sort(), [...to].sort())
})

test('a Byzantine sender that sprays everyone changes nothing outside its sample; inside, the vote counts once', () => {
  const cluster = fresh()
  const { vote, to } = prepareOf(cluster, 'v05')
  for (const id of ids) {
    if (id === 'v05' || id === leader) continue
    const b = cluster.get(id) as ProbftBuild
    b.replica.onMessage(leader, proposal as Signed<ThreePhaseMessage>, 1)
    const before = refused(b)
    const fx = b.replica.onMessage('v05', vote as Signed<ThreePhaseMessage>, 2)
    if (to.includes(id)) {
      assert.equal(refused(b), before, `${id} is in the sample: accepted`)
      const again = b.replica.onMessage('v05', vote as Signed<ThreePhaseMessage>, 3)
      assert.deepEqual(logs(again), ['duplicate prepare'], `${id}: a second copy is refused`)
      assert.equal(refused(b), before + 1)
    } else {
      assert.deepEqual(logs(fx), ['prepare to a replica outside the sender\'s sample'], `${id} is outside the sample`)
      assert.equal(refused(b), before + 1)
      // Nothing else happened there: no persist, no vote, no timer.
      assert.ok(fx.every((e) => e.kind === 'log'), `${id}: only the refusal`)
    }
  }
})

test('a proof for another view, phase, sequence number or key is refused and counted', () => {
  const cluster = fresh()
  const { vote, to } = prepareOf(cluster, 'v05')
  const recipient = to[0]
  const b = cluster.get(recipient) as ProbftBuild
  b.replica.onMessage(leader, proposal as Signed<ThreePhaseMessage>, 1)
  const v05 = cluster.get('v05') as ProbftBuild
  const vrfProof = (phase: 'prepare' | 'commit', view: number, seq: number): Uint8Array => {
    const p = v05.variant.votes.prove?.(phase, view, seq) as Uint8Array
    return p.subarray(0, 80)
  }
  const withProof = (proof: Uint8Array, from = 'v05'): Signed<ThreePhaseMessage> => {
    const full = new Uint8Array(proof.byteLength + proposal.sig.byteLength)
    full.set(proof)
    full.set(proposal.sig, proof.byteLength)
    return signerOf(from).sign<Prepare>({ ...vote.msg, proof: full })
  }
  const cases: Array<[string, Signed<ThreePhaseMessage>]> = [
    ['another view', withProof(vrfProof('prepare', 1, 1))],
    ['another phase', withProof(vrfProof('commit', 0, 1))],
    ['another sequence number', withProof(vrfProof('prepare', 0, 2))],
    // v05's proof under v06's key: the recipient verifies it under v06's public key.
    ['another key', withProof(vrfProof('prepare', 0, 1), 'v06')],
    ['no proof', signerOf('v05').sign<Prepare>({ ...vote.msg, proof: new Uint8Array(0) })],
    ['a truncated proof', withProof(vrfProof('prepare', 0, 1).subarray(0, 79))]
  ]
  for (const [what, msg] of cases) {
    const before = refused(b)
    const reasons = logs(b.replica.onMessage(msg.from, msg, 2))
    assert.equal(reasons.length, 1, `${what}: refused (${reasons.join('; ')})`)
    assert.equal(refused(b), before + 1, `${what}: counted`)
  }
  // A commit carries the VRF proof alone.
  const commit = signerOf('v05').sign<Commit>({ protocol: 'probft', type: 'commit', view: 0, seq: 1, digest: batch.id, proof: new Uint8Array(200) })
  assert.equal(logs(b.replica.onMessage('v05', commit, 2)).length, 1)
})

test('a prepare whose leader header names another digest proves equivocation and starts a view change', () => {
  const cluster = fresh()
  const other = makeBatch([new TextEncoder().encode('tx-2')])
  const second = signerOf(leader).sign<FullPrePrepare>({ protocol: 'probft', type: 'pre-prepare', view: 0, seq: 1, digest: other.id, batch: other })
  // v05 got the second proposal; some replica in its sample got the first.
  const fx = (cluster.get('v05') as ProbftBuild).replica.onMessage(leader, second as Signed<ThreePhaseMessage>, 1)
  const send = fx.find((e) => e.kind === 'send' && e.msg.msg.type === 'prepare') as Extract<Effect<ThreePhaseMessage>, { kind: 'send' }>
  const recipient = send.to.find((id) => id !== leader) as string
  const b = cluster.get(recipient) as ProbftBuild
  b.replica.onMessage(leader, proposal as Signed<ThreePhaseMessage>, 1)
  const out = b.replica.onMessage('v05', send.msg, 2)
  assert.ok(out.some((e) => e.kind === 'log' && e.event.type === 'equivocation'))
  assert.ok(out.some((e) => e.kind === 'broadcast' && e.msg.msg.type === 'view-change'), 'it leaves the view')
  assert.equal(b.replica.status().viewChanging, true)
})

test('a replica that missed the proposal adopts the header a prepare carries and fetches the batch', () => {
  const cluster = fresh()
  const { vote, to } = prepareOf(cluster, 'v05')
  const b = cluster.get(to.find((id) => id !== leader) as string) as ProbftBuild
  const out = b.replica.onMessage('v05', vote as Signed<ThreePhaseMessage>, 2)
  const ask = out.find((e) => e.kind === 'send' && e.msg.msg.type === 'batch-request') as Extract<Effect<ThreePhaseMessage>, { kind: 'send' }>
  assert.ok(ask !== undefined, 'asks for the batch')
  assert.ok(ask.to.includes('v05') || ask.to.includes(leader))
})
