// Headers and certificates parked until their parents and payload arrive: bounded per author and indexed
// by the digests they miss, so an arrival re-examines only what it may unblock instead of everything.
import type { Hash } from '../../crypto/hash.ts'
import { toHex } from '../../crypto/hash.ts'
import type { ValidatorId } from '../core/validators.ts'

export type MissingKind = 'cert' | 'batch'

interface Entry<T> {
  readonly digest: string
  readonly author: ValidatorId
  readonly round: number
  readonly item: T
  /** Digests this item waited for when it was parked and that have not arrived since. */
  readonly missing: Set<string>
}

interface Wanted { readonly kind: MissingKind, readonly hash: Hash, readonly waiters: Set<string> }

export class Parking<T> {
  readonly #perAuthor: number
  readonly #items = new Map<string, Entry<T>>()
  readonly #byAuthor = new Map<ValidatorId, Set<string>>()
  readonly #byRound = new Map<number, Set<string>>()
  readonly #wanted = new Map<string, Wanted>()
  /** Items whose known missing digests all arrived: worth examining again, in the order they became so. */
  readonly #ready = new Set<string>()
  /** Parked items examined again that still missed something: the work an index is there to avoid. */
  wastedScans = 0

  constructor (perAuthor: number) {
    if (!(Number.isInteger(perAuthor) || perAuthor === Infinity) || perAuthor < 1) throw new RangeError(`a parking quota must be a positive integer, got ${perAuthor}`)
    this.#perAuthor = perAuthor
  }

  get size (): number { return this.#items.size }
  has (digest: string): boolean { return this.#items.has(digest) }

  /**
   * Parks `item` until every digest in `missing` arrives. Returns the digests nobody was waiting for yet
   * (what is worth fetching now), or null when the author's quota is full of items at lower rounds: those
   * are closer to being usable, so the newcomer is refused rather than one of them evicted.
   */
  park (digest: string, author: ValidatorId, round: number, item: T, missing: { certs: readonly Hash[], batches: readonly Hash[] }): { certs: Hash[], batches: Hash[] } | null {
    const prior = this.#items.get(digest)
    if (prior !== undefined) this.#remove(prior)
    const mine = this.#byAuthor.get(author)
    if (mine !== undefined && mine.size >= this.#perAuthor) {
      let highest: Entry<T> | undefined
      for (const d of mine) {
        const e = this.#items.get(d) as Entry<T>
        if (highest === undefined || e.round > highest.round) highest = e
      }
      if (highest === undefined || highest.round <= round) return null
      this.#remove(highest)
    }
    const entry: Entry<T> = { digest, author, round, item, missing: new Set() }
    const fresh = { certs: [] as Hash[], batches: [] as Hash[] }
    const want = (kind: MissingKind, h: Hash): void => {
      const key = toHex(h)
      if (entry.missing.has(key)) return
      entry.missing.add(key)
      let w = this.#wanted.get(key)
      if (w === undefined) {
        w = { kind, hash: h, waiters: new Set() }
        this.#wanted.set(key, w)
        ;(kind === 'cert' ? fresh.certs : fresh.batches).push(h)
      }
      w.waiters.add(digest)
    }
    for (const h of missing.certs) want('cert', h)
    for (const h of missing.batches) want('batch', h)
    this.#items.set(digest, entry)
    setOf(this.#byAuthor, author).add(digest)
    setOf(this.#byRound, round).add(digest)
    if (entry.missing.size === 0) this.#ready.add(digest)
    return fresh
  }

  /** `digest` (a certificate or a batch) is now held: whoever waited only for it becomes ready. */
  arrived (digest: string): void {
    const w = this.#wanted.get(digest)
    if (w === undefined) return
    this.#wanted.delete(digest)
    for (const d of w.waiters) {
      const e = this.#items.get(d)
      if (e === undefined) continue
      e.missing.delete(digest)
      if (e.missing.size === 0) this.#ready.add(d)
    }
  }

  /** Items of `round` become ready whatever they wait for (their parents fell behind the floor). */
  readyAt (round: number): void {
    for (const d of this.#byRound.get(round) ?? []) this.#ready.add(d)
  }

  /** Removes and returns the next ready item, or undefined. The caller re-parks it if it still misses something. */
  takeReady (): T | undefined {
    for (const d of this.#ready) {
      this.#ready.delete(d)
      const e = this.#items.get(d)
      if (e === undefined) continue
      this.#remove(e)
      return e.item
    }
    return undefined
  }

  /** Counts a ready item that turned out to still miss something (it is parked again by the caller). */
  countWasted (): void { this.wastedScans++ }

  delete (digest: string): void {
    const e = this.#items.get(digest)
    if (e !== undefined) this.#remove(e)
  }

  /** Drops every item at or below `round` (garbage-collected). */
  dropAtOrBelow (round: number): void {
    for (const [r, ds] of this.#byRound) {
      if (r > round) continue
      for (const d of [...ds]) this.delete(d)
    }
  }

  /** What every parked item still waits for, each digest once: what a retransmission asks peers for. */
  wanted (): { certs: Hash[], batches: Hash[] } {
    const out = { certs: [] as Hash[], batches: [] as Hash[] }
    for (const w of this.#wanted.values()) (w.kind === 'cert' ? out.certs : out.batches).push(w.hash)
    return out
  }

  #remove (e: Entry<T>): void {
    this.#items.delete(e.digest)
    this.#ready.delete(e.digest)
    unlink(this.#byAuthor, e.author, e.digest)
    unlink(this.#byRound, e.round, e.digest)
    for (const key of e.missing) {
      const w = this.#wanted.get(key)
      if (w === undefined) continue
      w.waiters.delete(e.digest)
      if (w.waiters.size === 0) this.#wanted.delete(key)
    }
  }
}

function setOf<K> (m: Map<K, Set<string>>, k: K): Set<string> {
  let s = m.get(k)
  if (s === undefined) {
    s = new Set()
    m.set(k, s)
  }
  return s
}

function unlink<K> (m: Map<K, Set<string>>, k: K, d: string): void {
  const s = m.get(k)
  if (s === undefined) return
  s.delete(d)
  if (s.size === 0) m.delete(k)
}
