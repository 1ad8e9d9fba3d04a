// ProBFT as a variant of the three-phase engine: round-robin leaders like PBFT, but each prepare and commit
// goes only to the sender's VRF sample (fixed by public state: genesis, sequence, view, phase) and a phase is
// decided by q = ceil(l sqrt(n)) votes from senders whose samples hold this replica. Hardening on top of
// the paper's outline (design note PROBFT.md 3.2): a prepare carries the leader's signature over the
// proposal header (H1: a replica that missed the proposal adopts it; H2: two headers for one slot stop
// voting and change view), commits need a prepared slot (H3, the engine's rule), and a replica that missed
// a quorum catches up from a peer's commit certificate (H4, the engine's catch-up).
import { roundRobin } from '../core/leaders.ts'
import type { Signed } from '../core/message.ts'
import type { ProtocolVrf } from '../core/module.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { Commit, Prepare, PrePrepare } from '../three-phase/messages.ts'
import type { Phase, ReplicaObservation, ThreePhaseVariant, VariantHost, VotePolicy } from '../three-phase/variant.ts'
import type { ProbftSizes } from './params.ts'
import { sampleAlpha, sampleIndices } from './sampling.ts'

export const PROBFT = 'probft'
/** ECVRF-EDWARDS25519-SHA512-TAI proofs are 80 bytes; a prepare's proof field appends the leader's signature. */
export const VRF_PROOF_BYTES = 80

export interface ProbftVariantOptions {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  readonly genesisHash: Uint8Array
  readonly vrf: ProtocolVrf
  readonly sizes: ProbftSizes
  /** false (or some parts false) only in planted-bug builds: see ProbftHardening. */
  readonly hardening?: boolean | Partial<ProbftHardening>
}

/** The hardening's parts that a planted-bug build can switch off one by one (design note PROBFT.md 3.2;
 *  H3, commit only when prepared, is the engine's own rule and stays). */
export interface ProbftHardening {
  /** H1: a prepare carries the leader's signed header, and a replica that missed the proposal adopts it. */
  readonly proposalForwarding: boolean
  /** H2: two leader headers for one slot stop voting there and change view. */
  readonly equivocationViewChange: boolean
  /** H4: a replica that missed a quorum takes the decision from a peer's commit certificate. */
  readonly catchUp: boolean
}

const ALL_HARDENING: ProbftHardening = { proposalForwarding: true, equivocationViewChange: true, catchUp: true }

export function probftHardening (h: boolean | Partial<ProbftHardening> | undefined): ProbftHardening {
  if (h === undefined || h === true) return ALL_HARDENING
  if (h === false) return { proposalForwarding: false, equivocationViewChange: false, catchUp: false }
  return { ...ALL_HARDENING, ...h }
}

/** Refused votes by reason, and the vote counts of the last decision: what status shows. */
export interface ProbftStats {
  readonly refused: Map<string, number>
  lastPrepareVotes: number
  lastCommitVotes: number
  /** ECVRF verifications actually run (the rest were served from the cache). */
  verifications: number
}

interface Checked { readonly proof: Uint8Array, readonly members: ReadonlySet<ValidatorId> | null }
interface Own { readonly proof: Uint8Array, readonly sample: readonly ValidatorId[] }

/** Slots the primary keeps proposed but undecided at once. Every decision costs each replica two ECVRF proofs
 *  and up to 2(n - 1) verifications whatever its size, so under load fewer, fuller batches beat many small
 *  ones: without a cap a 7-node devnet on 2 cores made ~300 decisions of ~3 transactions for 1,000 puts and
 *  spent the cores on VRF work. Pending transactions wait in the mempool and fill the next batch. */
export const PROBFT_PIPELINE_DEPTH = 4

const same = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && a.every((x, i) => x === b[i])

export type ProbftVariant = ThreePhaseVariant & { readonly stats: ProbftStats, sampleOf (sender: ValidatorId, phase: Phase, view: number, seq: number, proof: Uint8Array): ReadonlySet<ValidatorId> | null }

export function probftVariant (o: ProbftVariantOptions): ProbftVariant {
  const { validators, sizes } = o
  const ids = validators.ids
  const hardening = probftHardening(o.hardening)
  const leaders = roundRobin(validators)
  const stats: ProbftStats = { refused: new Map(), lastPrepareVotes: 0, lastCommitVotes: 0, verifications: 0 }
  // Both caches by sequence number, so a stable checkpoint drops everything at or below it.
  const own = new Map<number, Map<string, Own>>()
  const checked = new Map<number, Map<string, Checked>>()
  const admitted = new Map<number, Set<string>>()
  const bucket = <T>(m: Map<number, T>, seq: number, make: () => T): T => {
    let b = m.get(seq)
    if (b === undefined) { b = make(); m.set(seq, b) }
    return b
  }

  const sampleFrom = (beta: Uint8Array): ValidatorId[] => sampleIndices(beta, ids.length, sizes.sampleSize).map((i) => ids[i])

  function mine (phase: Phase, view: number, seq: number): Own {
    const b = bucket(own, seq, () => new Map<string, Own>())
    const key = `${phase}/${view}`
    let e = b.get(key)
    if (e === undefined) {
      const { proof, beta } = o.vrf.vrf.prove(sampleAlpha(o.genesisHash, seq, view, phase))
      e = { proof, sample: sampleFrom(beta) }
      b.set(key, e)
      bucket(checked, seq, () => new Map<string, Checked>()).set(`${o.self}/${key}`, { proof, members: new Set(e.sample) })
    }
    return e
  }

  /** The sample `proof` proves for `sender`'s vote in (phase, view, seq), or null if the proof is invalid;
   *  cached per (sender, seq, view, phase) and only for these exact proof bytes. */
  function sampleOf (sender: ValidatorId, phase: Phase, view: number, seq: number, proof: Uint8Array): ReadonlySet<ValidatorId> | null {
    const b = bucket(checked, seq, () => new Map<string, Checked>())
    const key = `${sender}/${phase}/${view}`
    const hit = b.get(key)
    if (hit !== undefined && same(hit.proof, proof)) return hit.members
    const pk = o.vrf.publicKeys.get(sender)
    let members: ReadonlySet<ValidatorId> | null = null
    if (pk !== undefined && proof.byteLength === VRF_PROOF_BYTES) {
      stats.verifications++
      const beta = o.vrf.vrf.verify(pk, sampleAlpha(o.genesisHash, seq, view, phase), proof)
      if (beta !== null) members = new Set(sampleFrom(beta))
    }
    b.set(key, { proof: proof.slice(), members })
    return members
  }

  const vrfProofOf = (v: Prepare | Commit): Uint8Array => (v.proof ?? new Uint8Array(0)).subarray(0, VRF_PROOF_BYTES)
  // A replica's own vote always counts for itself (delivered locally, whether or not its sample drew it);
  // anyone else's only when its proven sample holds the holder.
  const counts = (phase: Phase, v: Signed<Prepare | Commit>, holder: ValidatorId): boolean =>
    v.from === holder || ((v.msg.proof?.byteLength ?? 0) >= VRF_PROOF_BYTES && sampleOf(v.from, phase, v.msg.view, v.msg.seq, vrfProofOf(v.msg))?.has(holder) === true)

  const threshold = (phase: Phase): number => phase === 'prepare' ? sizes.q - 1 : sizes.q

  function refuse (reason: string): string {
    stats.refused.set(reason, (stats.refused.get(reason) ?? 0) + 1)
    return reason
  }

  const votes: VotePolicy = {
    recipients: (phase, view, seq) => mine(phase, view, seq).sample,
    prove (phase, view, seq, proposal?: Signed<PrePrepare>) {
      const proof = mine(phase, view, seq).proof
      if (phase !== 'prepare' || !hardening.proposalForwarding || proposal === undefined) return proof
      const out = new Uint8Array(proof.byteLength + proposal.sig.byteLength)
      out.set(proof)
      out.set(proposal.sig, proof.byteLength)
      return out
    },
    admits (phase, v) {
      const m = v.msg
      const proofBytes = m.proof?.byteLength ?? 0
      if (proofBytes < VRF_PROOF_BYTES || proofBytes > VRF_PROOF_BYTES + 64 || (phase === 'commit' && proofBytes !== VRF_PROOF_BYTES)) return refuse(`${phase} without a sample proof`)
      const members = sampleOf(v.from, phase, m.view, m.seq, vrfProofOf(m))
      if (members === null) return refuse(`${phase} with an invalid sample proof`)
      if (!members.has(o.self)) return refuse(`${phase} to a replica outside the sender's sample`)
      const seen = bucket(admitted, m.seq, () => new Set<string>())
      const key = `${v.from}/${phase}/${m.view}`
      if (seen.has(key)) return refuse(`duplicate ${phase}`)
      seen.add(key)
      return undefined
    },
    decides (phase, view, seq, vs, holder) {
      let n = 0
      for (const v of vs) if (v.msg.view === view && v.msg.seq === seq && counts(phase, v, holder)) n++
      // As in PBFT the leader's pre-prepare (sent to everyone) stands for its prepare: q - 1 from backups.
      const done = n >= threshold(phase)
      if (done && holder === o.self) {
        if (phase === 'prepare') stats.lastPrepareVotes = n
        else stats.lastCommitVotes = n
      }
      return done
    },
    certificateSize: threshold,
    // The VRF proof and, on a prepare, the leader's signature (Ed25519's 64 bytes at most).
    proofBytes: VRF_PROOF_BYTES + 64,
    quorum: validators.quorums.quorum,
    ...(hardening.proposalForwarding
      ? {
          proposalIn (v: Signed<Prepare>): Signed<PrePrepare> | undefined {
            const sig = v.msg.proof?.subarray(VRF_PROOF_BYTES)
            if (sig === undefined || sig.byteLength === 0) return undefined
            const { view, seq, digest } = v.msg
            return { from: leaders.leader(view), sig: sig.slice(), msg: { protocol: PROBFT, type: 'pre-prepare', view, seq, digest } }
          }
        }
      : {})
  }

  let host: VariantHost | undefined
  let committedSeen = 0
  return {
    protocol: PROBFT,
    leaders,
    votes,
    stats,
    sampleOf,
    equivocationChangesView: hardening.equivocationViewChange,
    catchUp: hardening.catchUp,
    attach (h: VariantHost) { host = h },
    mayProposeSeq: (seq) => host === undefined || seq - host.lastCommitted() <= PROBFT_PIPELINE_DEPTH,
    afterInput () {
      // A decision frees a pipeline slot: propose what waited for it now, not at the next request.
      if (host === undefined || host.lastCommitted() <= committedSeen) return
      committedSeen = host.lastCommitted()
      if (host.hasWork()) host.propose()
    },
    observe (e: ReplicaObservation) {
      if (e.kind !== 'stable') return
      for (const m of [own, checked, admitted] as Map<number, unknown>[]) for (const seq of m.keys()) if (seq <= e.seq) m.delete(seq)
    },
    extraStatus: () => ({
      q: sizes.q,
      sampleSize: sizes.sampleSize,
      faults: sizes.f,
      lastPrepareVotes: stats.lastPrepareVotes,
      lastCommitVotes: stats.lastCommitVotes,
      refusedVotes: [...stats.refused.values()].reduce((a, b) => a + b, 0)
    })
  }
}
