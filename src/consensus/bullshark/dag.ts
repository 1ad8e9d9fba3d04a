// The certified DAG of one node: at most one vertex per (author, round), indexed by round and digest.
// Vertices are inserted only once their parents (above the garbage-collection floor) and payload are
// held, so every causal history walked here is complete.
import type { ValidatorId } from '../core/validators.ts'
import type { Certificate } from './messages.ts'

export interface Vertex {
  readonly digest: string
  readonly round: number
  readonly author: ValidatorId
  readonly authorIndex: number
  readonly parents: readonly string[]
  readonly batches: readonly string[]
  readonly cert: Certificate
}

export class Dag {
  readonly #rounds = new Map<number, Map<ValidatorId, Vertex>>()
  readonly #byDigest = new Map<string, Vertex>()
  #highest = 0

  get size (): number { return this.#byDigest.size }
  get highestRound (): number { return this.#highest }

  get (digest: string): Vertex | undefined { return this.#byDigest.get(digest) }
  has (digest: string): boolean { return this.#byDigest.has(digest) }

  round (r: number): ReadonlyMap<ValidatorId, Vertex> { return this.#rounds.get(r) ?? EMPTY }

  /** False when (author, round) already holds a vertex: a second certificate there cannot exist honestly. */
  insert (v: Vertex): boolean {
    let level = this.#rounds.get(v.round)
    if (level === undefined) {
      level = new Map()
      this.#rounds.set(v.round, level)
    }
    if (level.has(v.author)) return false
    level.set(v.author, v)
    this.#byDigest.set(v.digest, v)
    if (v.round > this.#highest) this.#highest = v.round
    return true
  }

  /** Drops every vertex at or below `round`. */
  prune (round: number): void {
    for (const [r, level] of this.#rounds) {
      if (r > round) continue
      for (const v of level.values()) this.#byDigest.delete(v.digest)
      this.#rounds.delete(r)
    }
  }

  /** Whether `to` is in the causal history of `from`, walking one round at a time. */
  linked (from: Vertex, to: Vertex): boolean {
    let level = new Set([from.digest])
    for (let r = from.round; r > to.round && level.size > 0; r--) {
      const next = new Set<string>()
      for (const d of level) for (const p of this.#byDigest.get(d)?.parents ?? []) next.add(p)
      level = next
    }
    return level.has(to.digest)
  }

  /** The not-yet-ordered causal history of `anchor`, in a deterministic order (round, then validator). */
  history (anchor: Vertex, lastOrdered: readonly number[], gcRound: number): Vertex[] {
    const out: Vertex[] = []
    const seen = new Set<string>([anchor.digest])
    const stack = [anchor]
    while (stack.length > 0) {
      const v = stack.pop() as Vertex
      out.push(v)
      for (const p of v.parents) {
        const parent = this.#byDigest.get(p)
        if (parent === undefined || seen.has(p) || parent.round <= gcRound || lastOrdered[parent.authorIndex] >= parent.round) continue
        seen.add(p)
        stack.push(parent)
      }
    }
    return out.sort((a, b) => a.round - b.round || a.authorIndex - b.authorIndex)
  }
}

const EMPTY: ReadonlyMap<ValidatorId, Vertex> = new Map()
