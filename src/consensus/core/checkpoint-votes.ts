// Checkpoint votes as every protocol keeps them: the latest few per validator (bounded however many a
// Byzantine validator sends), and the votes of all validators that match a given one.
import type { Message, Signed } from './message.ts'
import type { ValidatorId } from './validators.ts'

/** How many recent checkpoint votes to keep per validator: enough to find a quorum, bounded. */
export const CHECKPOINT_VOTES_PER_VALIDATOR = 4

export class CheckpointVotes<C extends Message> {
  readonly #votes = new Map<ValidatorId, Signed<C>[]>()
  readonly #position: (m: C) => number
  readonly #key: (m: C) => string

  /** `position` orders one validator's votes (newest kept); `key` says which votes certify the same state. */
  constructor (position: (m: C) => number, key: (m: C) => string) {
    this.#position = position
    this.#key = key
  }

  /** Records a vote (replacing the sender's vote at the same position) and returns every vote matching it. */
  add (s: Signed<C>): Signed<C>[] {
    const at = this.#position(s.msg)
    const votes = (this.#votes.get(s.from) ?? []).filter((v) => this.#position(v.msg) !== at)
    votes.push(s)
    votes.sort((a, b) => this.#position(b.msg) - this.#position(a.msg))
    this.#votes.set(s.from, votes.slice(0, CHECKPOINT_VOTES_PER_VALIDATOR))
    const key = this.#key(s.msg)
    const matching: Signed<C>[] = []
    for (const list of this.#votes.values()) for (const v of list) if (this.#key(v.msg) === key) matching.push(v)
    return matching
  }

  /** Keeps only the votes `keep` accepts (those above a new stable checkpoint). */
  retain (keep: (m: C) => boolean): void {
    for (const [id, list] of this.#votes) this.#votes.set(id, list.filter((v) => keep(v.msg)))
  }
}
