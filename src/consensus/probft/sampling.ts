// ProBFT's sampling, frozen byte for byte (golden vectors in test/unit/consensus/probft/sampling.test.ts):
// the VRF input each vote's sample comes from, fixed by public protocol state so no sender can choose it,
// the deterministic sample drawn from the VRF output, and the quorum and sample sizes from (n, l, o).
import { createHash } from 'node:crypto'

export type SamplePhase = 'prepare' | 'commit'

const ALPHA_TAG = new TextEncoder().encode('NovaCron/ProBFT/v1')
const SAMPLE_TAG = new TextEncoder().encode('ProBFT-sample')
const PHASE_BYTE: Readonly<Record<SamplePhase, number>> = { prepare: 1, commit: 2 }

/** alpha = "NovaCron/ProBFT/v1" || genesis hash || u64be(seq) || u64be(view) || u8(phase: 1 prepare, 2
 *  commit). Every recipient recomputes it; a sender supplies only the proof. */
export function sampleAlpha (genesisHash: Uint8Array, seq: number, view: number, phase: SamplePhase): Uint8Array {
  const out = new Uint8Array(ALPHA_TAG.byteLength + genesisHash.byteLength + 17)
  out.set(ALPHA_TAG, 0)
  out.set(genesisHash, ALPHA_TAG.byteLength)
  const dv = new DataView(out.buffer, ALPHA_TAG.byteLength + genesisHash.byteLength)
  dv.setBigUint64(0, BigInt(seq))
  dv.setBigUint64(8, BigInt(view))
  dv.setUint8(16, PHASE_BYTE[phase])
  return out
}

/** A stream of u64 words: block t = SHA-512(beta || "ProBFT-sample" || u32be(t)), read big-endian. */
function wordStream (beta: Uint8Array): () => bigint {
  let t = 0
  let block = new DataView(new ArrayBuffer(0))
  let at = 0
  return () => {
    if (at >= block.byteLength) {
      const ctr = new Uint8Array(4)
      new DataView(ctr.buffer).setUint32(0, t++)
      const h = createHash('sha512').update(beta).update(SAMPLE_TAG).update(ctr).digest()
      block = new DataView(h.buffer, h.byteOffset, h.byteLength)
      at = 0
    }
    const w = block.getBigUint64(at)
    at += 8
    return w
  }
}

const TWO_64 = 1n << 64n

/** The sample: `s` distinct indices of [0, n), in draw order, by a partial Fisher-Yates shuffle whose draw
 *  m is uniform in [0, n - m) by rejection (words >= floor(2^64 / (n - m)) * (n - m) are skipped). The
 *  sampler may pick the sender itself, which costs no message: a replica's own vote counts for it always. */
export function sampleIndices (beta: Uint8Array, n: number, s: number): number[] {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(s) || s < 0 || s > n) throw new RangeError(`cannot sample ${s} of ${n}`)
  const next = wordStream(beta)
  const a = Array.from({ length: n }, (_, i) => i)
  for (let m = 0; m < s; m++) {
    const range = BigInt(n - m)
    const limit = (TWO_64 / range) * range
    let w = next()
    while (w >= limit) w = next()
    const j = m + Number(w % range)
    const x = a[m]
    a[m] = a[j]
    a[j] = x
  }
  return a.slice(0, s)
}
