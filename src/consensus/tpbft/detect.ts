// Finding equivocation as messages arrive, so a replica can turn two conflicting signed messages into an
// E4 evidence item for its next proposal (evidence.ts verifies it again when the batch is applied). Pure
// and bounded: it remembers one message per (signer, type, view, seq) within a seq window.
//
// API (stable): new EquivocationDetector({ kinds?, maxEntries? }); observe(s) -> Evidence | undefined (the
// first conflict of that signer and slot, once); prune(belowSeq); size.
// Feed it only messages whose signatures the driver or engine already verified: a forged message would
// only make the detector offer an item that verification then refuses.
import { HASH_BYTES, bytesEqual } from '../../crypto/hash.ts'
import type { Message, Signed } from '../core/message.ts'
import { DEFAULT_EQUIVOCATION_KINDS } from './evidence.ts'
import type { Evidence } from './evidence.ts'

/** Default bound on remembered messages: n = 100 validators x 4 kinds x a window of 256 seqs is ~100k. */
export const DEFAULT_DETECTOR_ENTRIES = 131_072

interface Slot { readonly view: number, readonly seq: number, readonly digest: Uint8Array }

const slotOf = (m: Message): Slot | undefined => {
  const r = m as unknown as Record<string, unknown>
  const { view, seq, digest } = r
  if (typeof view !== 'number' || typeof seq !== 'number' || !(digest instanceof Uint8Array) || digest.byteLength !== HASH_BYTES) return undefined
  return { view, seq, digest }
}

/** A pre-prepare's signature covers its header only (view, seq, digest), so the proof carries it without
 *  its batch or certificate: an equivocation item stays a few hundred bytes whatever the batches weigh. */
function lean<M extends Message> (s: Signed<M>): Signed<M> {
  const r = s.msg as unknown as Record<string, unknown>
  if (r.batch === undefined && r.cert === undefined) return s
  const { batch: _batch, cert: _cert, ...header } = r
  return { from: s.from, sig: s.sig, msg: header as unknown as M }
}

export class EquivocationDetector<M extends Message = Message> {
  readonly #kinds: ReadonlySet<string>
  readonly #max: number
  /** `${seq}\n${view}\n${type}\n${signer}` -> the first message seen for it. */
  readonly #seen = new Map<string, Signed<M>>()
  /** Slots already reported, so one equivocator yields one item per slot. */
  readonly #reported = new Set<string>()

  constructor (opts: { readonly kinds?: readonly string[], readonly maxEntries?: number } = {}) {
    this.#kinds = new Set(opts.kinds ?? DEFAULT_EQUIVOCATION_KINDS)
    this.#max = opts.maxEntries ?? DEFAULT_DETECTOR_ENTRIES
  }

  get size (): number { return this.#seen.size }

  /** The equivocation `s` proves together with an earlier message, the first time it does. When full,
   *  new slots are not remembered (a flood cannot evict what is already held). */
  observe (s: Signed<M>): Evidence<M> | undefined {
    if (!this.#kinds.has(s.msg.type)) return undefined
    const slot = slotOf(s.msg)
    if (slot === undefined) return undefined
    const key = `${slot.seq}\n${slot.view}\n${s.msg.type}\n${s.from}`
    const prior = this.#seen.get(key)
    if (prior === undefined) {
      if (this.#seen.size < this.#max) this.#seen.set(key, lean(s))
      return undefined
    }
    const priorSlot = slotOf(prior.msg)!
    if (bytesEqual(priorSlot.digest, slot.digest) || this.#reported.has(key)) return undefined
    this.#reported.add(key)
    return { kind: 'equivocation', a: prior, b: lean(s) }
  }

  /** Forgets slots below `seq` (below the stable checkpoint: no evidence about them is carried any more). */
  prune (seq: number): void {
    for (const k of [...this.#seen.keys()]) if (Number(k.slice(0, k.indexOf('\n'))) < seq) this.#seen.delete(k)
    for (const k of [...this.#reported]) if (Number(k.slice(0, k.indexOf('\n'))) < seq) this.#reported.delete(k)
  }
}
