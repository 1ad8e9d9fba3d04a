// Checks of the certificates a view change carries, and the new primary's choice of what to re-propose.
// Both the new primary and every backup run newViewProposals on the same view-changes, so a primary that
// lies about what may have committed is caught.
import { bytesEqual, toHex } from '../../crypto/hash.ts'
import type { Hash } from '../../crypto/hash.ts'
import { EMPTY_BATCH } from '../core/batch.ts'
import type { LeaderSchedule } from '../core/leaders.ts'
import type { MessageVerifier, Signed } from '../core/message.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { CheckpointMsg, Prepare, PreparedCert, ThreePhaseMessage, ViewChange } from './messages.ts'

export interface CertContext {
  readonly validators: ValidatorSet
  readonly verifier: MessageVerifier<ThreePhaseMessage>
  readonly leaders: LeaderSchedule
  /** Who may sign a pre-prepare of a view (default: its leader); the variant's mayPropose. */
  readonly mayPropose?: (view: number, from: ValidatorId) => boolean
  /** Whether these distinct, signature-checked prepares from backups prove the batch prepared at `holder`,
   *  the replica whose view-change carries them (the variant's rule). */
  readonly prepared: (view: number, seq: number, prepares: readonly Signed<Prepare>[], holder: ValidatorId) => boolean
  /** Checkpoint proofs and view changes need this many distinct validators. */
  readonly quorum: number
  readonly watermarkWindow: number
  /** Most prepares a prepared certificate carries (the variant's certificateSize('prepare')). */
  readonly prepareCertSize: number
}

const signedBy = (ctx: CertContext, s: Signed<ThreePhaseMessage>): boolean => ctx.validators.has(s.from) && ctx.verifier.verify(s)

/** Signers are distinct validators, at most `max` of them: checked before any signature is, so a list of
 *  duplicates or strangers costs its sender the message, not its receivers a verification each. */
function distinctValidators (ctx: CertContext, signed: readonly Signed<ThreePhaseMessage>[], max: number): boolean {
  if (signed.length > max) return false
  const seen = new Set<string>()
  for (const s of signed) {
    if (seen.has(s.from) || !ctx.validators.has(s.from)) return false
    seen.add(s.from)
  }
  return true
}

/** Whether two checkpoints certify the same variant extra (both absent, as in PBFT, or equal). */
export const sameCheckpointExtra = (a: CheckpointMsg, b: CheckpointMsg): boolean =>
  a.extra === undefined ? b.extra === undefined : b.extra !== undefined && bytesEqual(a.extra, b.extra)

function checkpointProofShape (ctx: CertContext, seq: number, root: Uint8Array, proof: readonly Signed<CheckpointMsg>[]): boolean {
  return proof.length >= ctx.quorum && distinctValidators(ctx, proof, ctx.validators.n) &&
    proof.every((s) => s.msg.seq === seq && bytesEqual(s.msg.stateRoot, root) && sameCheckpointExtra(s.msg, proof[0].msg))
}

/** quorum distinct validators signed checkpoint (seq, root) and one variant extra. */
export function validCheckpointProof (ctx: CertContext, seq: number, root: Uint8Array, proof: readonly Signed<CheckpointMsg>[]): boolean {
  return checkpointProofShape(ctx, seq, root, proof) && proof.every((s) => signedBy(ctx, s))
}

function preparedCertShape (ctx: CertContext, cert: PreparedCert, beforeView: number): boolean {
  const pp = cert.prePrepare
  // Digests only: a certificate carrying its batch would make a view change grow with the batches.
  const proposer = ctx.mayPropose === undefined ? pp.from === ctx.leaders.leader(pp.msg.view) : ctx.mayPropose(pp.msg.view, pp.from)
  if (pp.msg.batch !== undefined || pp.msg.view >= beforeView || !proposer) return false
  if (!distinctValidators(ctx, cert.prepares, ctx.prepareCertSize)) return false
  return cert.prepares.every((p) => p.from !== pp.from && p.msg.view === pp.msg.view && p.msg.seq === pp.msg.seq && bytesEqual(p.msg.digest, pp.msg.digest))
}

/** `holder`: the replica whose view-change carries the certificate. */
export function validPreparedCert (ctx: CertContext, cert: PreparedCert, beforeView: number, holder: ValidatorId): boolean {
  const pp = cert.prePrepare
  if (!preparedCertShape(ctx, cert, beforeView) || !ctx.prepared(pp.msg.view, pp.msg.seq, cert.prepares, holder)) return false
  return signedBy(ctx, pp) && cert.prepares.every((p) => signedBy(ctx, p))
}

/** Everything about a view-change that needs no signature check: bounded lists of distinct validators,
 *  sequence numbers inside the window, each once. */
export function viewChangeShape (ctx: CertContext, vc: ViewChange): boolean {
  if (vc.view < 1 || vc.prepared.length > ctx.watermarkWindow) return false
  if (vc.stableSeq > 0 ? !checkpointProofShape(ctx, vc.stableSeq, vc.stableRoot, vc.checkpointProof) : vc.checkpointProof.length > 0) return false
  const seqs = new Set<number>()
  for (const cert of vc.prepared) {
    const seq = cert.prePrepare.msg.seq
    if (seq <= vc.stableSeq || seq > vc.stableSeq + ctx.watermarkWindow || seqs.has(seq)) return false
    if (!preparedCertShape(ctx, cert, vc.view)) return false
    seqs.add(seq)
  }
  return true
}

/** Everything in a view-change but its outer signature, which the driver checked. The whole shape is
 *  checked before the first signature is verified. `holder`: its sender. */
export function validViewChange (ctx: CertContext, vc: ViewChange, holder: ValidatorId): boolean {
  if (!viewChangeShape(ctx, vc)) return false
  if (vc.stableSeq > 0 && !validCheckpointProof(ctx, vc.stableSeq, vc.stableRoot, vc.checkpointProof)) return false
  return vc.prepared.every((cert) => validPreparedCert(ctx, cert, vc.view, holder))
}

/** Room a signed message takes around its body: version, protocol and type strings, the signer's id
 *  (`idBytes` long), the body's length and a signature of up to 64 bytes (Ed25519). */
const signedOverhead = (protocolBytes: number, idBytes: number): number => 1 + (4 + protocolBytes) + (4 + 16) + (4 + idBytes) + 4 + (4 + 64)

/** The largest encoded new-view an honest primary can send, and so the largest rec-new-view body: a quorum
 *  of view-changes, each with a checkpoint proof of n signatures and a window of digest certificates of
 *  `prepareCertSize` prepares, and a window of pre-prepare headers. Vote bodies are view, seq and digest,
 *  plus a proof field of up to `proofBytes` where the variant has one; checkpoints carry an extra hash
 *  where the variant certifies one (`checkpointExtras`). */
export function newViewBytesBound (o: { readonly n: number, readonly quorum: number, readonly window: number, readonly prepareCertSize: number, readonly idBytes: number, readonly protocolBytes: number, readonly proofBytes?: number, readonly checkpointExtras?: boolean }): number {
  const so = signedOverhead(o.protocolBytes, o.idBytes)
  const vote = 8 + 8 + 4 + 32 + (o.proofBytes === undefined ? 0 : 4 + o.proofBytes)
  const header = 8 + 8 + 4 + 32 + 1
  const checkpoint = 8 + 4 + 32 + (o.checkpointExtras === true ? 4 + 32 : 0)
  const viewChange = 8 + 8 + 4 + 32 + 4 + o.n * (so + checkpoint) + 4 + o.window * (so + header + 4 + o.prepareCertSize * (so + vote))
  return 8 + 4 + o.quorum * (so + viewChange) + 4 + o.window * (so + header)
}

export interface NewViewPlan {
  /** The highest stable checkpoint among the view-changes, with its proof. */
  readonly stableSeq: number
  readonly stableRoot: Uint8Array
  readonly stableProof: readonly Signed<CheckpointMsg>[]
  /** Digests of the batches to re-propose for stableSeq + 1 .. stableSeq + proposals.length; the null
   *  batch's fills gaps. */
  readonly proposals: readonly Hash[]
}

/** Castro-Liskov's O set: for each seq above the highest stable checkpoint, the digest of the prepared
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
        (pp.view === prior.prePrepare.msg.view && toHex(pp.digest) < toHex(prior.prePrepare.msg.digest))) {
        chosen.set(pp.seq, cert)
      }
    }
  }
  let maxSeq = best.stableSeq
  for (const seq of chosen.keys()) if (seq > maxSeq) maxSeq = seq
  const proposals: Hash[] = []
  for (let seq = best.stableSeq + 1; seq <= maxSeq; seq++) proposals.push(chosen.get(seq)?.prePrepare.msg.digest ?? EMPTY_BATCH.id)
  return { stableSeq: best.stableSeq, stableRoot: best.stableRoot, stableProof: best.checkpointProof, proposals }
}
