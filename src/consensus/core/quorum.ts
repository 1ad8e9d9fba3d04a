// Quorum sizes. For n = 3f + 1 these are the textbook 2f + 1 and f + 1; for other n the quorum is the
// smallest size whose any two instances overlap in at least f + 1 validators, i.e. in one honest one.

export interface Quorums {
  readonly n: number
  /** Most Byzantine validators tolerated: floor((n - 1) / 3). */
  readonly f: number
  /** Size of a quorum (2f + 1 when n = 3f + 1): any two intersect in an honest validator. */
  readonly quorum: number
  /** f + 1: at least one of them is honest. */
  readonly weak: number
}

export function quorumsFor (n: number): Quorums {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`validator count must be a positive integer, got ${n}`)
  const f = Math.floor((n - 1) / 3)
  return { n, f, quorum: Math.ceil((n + f + 1) / 2), weak: f + 1 }
}

/**
 * Fewest validators of which every quorum holds at least one: n - quorum + 1. A set S of that size meets
 * any quorum Q, since |S| + |Q| = n + 1 > n. Bullshark commits an anchor directly on this much support,
 * so every later vertex (whose parents are a quorum of the next round) reaches the anchor. For n = 3f + 1
 * it is f + 1; for n = 3f + 2 also f + 1; for n = 3f + 3 it is f + 2 (n = 6: quorum 4, two supporters
 * can sit beside a quorum of four that avoids them, three cannot).
 */
export function quorumBlocking (q: Quorums): number { return q.n - q.quorum + 1 }
