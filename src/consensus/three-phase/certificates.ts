// Checks of the certificates a view change carries, and the new primary's choice of what to re-propose.
// Both the new primary and every backup run newViewProposals on the same view-changes, so a primary that
// lies about what may have committed is caught.
import { bytesEqual, toHex } from '../../crypto/hash.ts'
import { EMPTY_BATCH } from '../core/batch.ts'
import type { Batch } from '../core/batch.ts'
import type { LeaderSchedule } from '../core/leaders.ts'
import type { MessageVerifier, Signed } from '../core/message.ts'
import type { ValidatorSet } from '../core/validators.ts'
import type { CheckpointMsg, Prepare, PreparedCert, ThreePhaseMessage, ViewChange } from './messages.ts'

export interface CertContext {
  readonly validators: ValidatorSet
  readonly verifier: MessageVerifier<ThreePhaseMessage>
  readonly leaders: LeaderSchedule
  /** Whether these distinct, signature-checked prepares from backups prove the batch prepared (the variant's rule). */
  readonly prepared: (view: number, seq: number, prepares: readonly Signed<Prepare>[]) => boolean
  /** Checkpoint proofs and view changes need this many distinct validators. */
  readonly quorum: number
  readonly watermarkWindow: number
}

const signedBy = (ctx: CertContext, s: Signed<ThreePhaseMessage>): boolean => ctx.validators.has(s.from) && ctx.verifier.verify(s)

/** quorum distinct validators signed checkpoint (seq, root). */
export function validCheckpointProof (ctx: CertContext, seq: number, root: Uint8Array, proof: readonly Signed<CheckpointMsg>[]): boolean {
  const signers = new Set<string>()
  for (const s of proof) {
    if (s.msg.seq !== seq || !bytesEqual(s.msg.stateRoot, root) || !signedBy(ctx, s)) return false
    signers.add(s.from)
  }
  return signers.size >= ctx.quorum
}

export function validPreparedCert (ctx: CertContext, cert: PreparedCert, beforeView: number): boolean {
  const pp = cert.prePrepare
  if (pp.msg.view >= beforeView || pp.from !== ctx.leaders.leader(pp.msg.view) || !signedBy(ctx, pp)) return false
  const backups = new Set<string>()
  const votes: Signed<Prepare>[] = []
  for (const p of cert.prepares) {
    if (p.msg.view !== pp.msg.view || p.msg.seq !== pp.msg.seq || !bytesEqual(p.msg.digest, pp.msg.batch.id)) return false
    if (p.from === pp.from || !signedBy(ctx, p)) return false
    if (!backups.has(p.from)) votes.push(p)
    backups.add(p.from)
  }
  return ctx.prepared(pp.msg.view, pp.msg.seq, votes)
}

/** Everything in a view-change but its outer signature, which the driver checked. */
export function validViewChange (ctx: CertContext, vc: ViewChange): boolean {
  if (vc.view < 1) return false
  if (vc.stableSeq > 0 && !validCheckpointProof(ctx, vc.stableSeq, vc.stableRoot, vc.checkpointProof)) return false
  const seqs = new Set<number>()
  for (const cert of vc.prepared) {
    const seq = cert.prePrepare.msg.seq
    if (seq <= vc.stableSeq || seq > vc.stableSeq + ctx.watermarkWindow || seqs.has(seq)) return false
    if (!validPreparedCert(ctx, cert, vc.view)) return false
    seqs.add(seq)
  }
  return true
}

export interface NewViewPlan {
  /** The highest stable checkpoint among the view-changes, with its proof. */
  readonly stableSeq: number
  readonly stableRoot: Uint8Array
  readonly stableProof: readonly Signed<CheckpointMsg>[]
  /** Batches to re-propose for stableSeq + 1 .. stableSeq + proposals.length; null batches fill gaps. */
  readonly proposals: readonly Batch[]
}

/** Castro-Liskov's O set: for each seq above the highest stable checkpoint, the batch of the prepared
 *  certificate from the highest view, or a null batch where no certificate exists. */
export function newViewProposals (viewChanges: readonly Signed<ViewChange>[]): NewViewPlan {
  let best = viewChanges[0].msg
  for (const s of viewChanges) if (s.msg.stableSeq > best.stableSeq) best = s.msg
  const chosen = new Map<number, PreparedCert>()
  for (const s of viewChanges) {
    for (const cert of s.msg.prepared) {
      const pp = cert.prePrepare.msg
      if (pp.seq <= best.stableSeq) continue
      const prior = chosen.get(pp.seq)
      // Two valid certificates of one view agree (quorums intersect); the digest tie-break only keeps the
      // choice deterministic if more than f validators lied.
      if (prior === undefined || pp.view > prior.prePrepare.msg.view ||
        (pp.view === prior.prePrepare.msg.view && toHex(pp.batch.id) < toHex(prior.prePrepare.msg.batch.id))) {
        chosen.set(pp.seq, cert)
      }
    }
  }
  let maxSeq = best.stableSeq
  for (const seq of chosen.keys()) if (seq > maxSeq) maxSeq = seq
  const proposals: Batch[] = []
  for (let seq = best.stableSeq + 1; seq <= maxSeq; seq++) proposals.push(chosen.get(seq)?.prePrepare.msg.batch ?? EMPTY_BATCH)
  return { stableSeq: best.stableSeq, stableRoot: best.stableRoot, stableProof: best.checkpointProof, proposals }
}
