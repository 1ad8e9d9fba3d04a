// A bounded "recently seen" set of keys, used by the transaction tracker for recently committed transactions.
/** A set that forgets its oldest keys beyond a capacity: "recently committed" without unbounded growth. */
export class RecentSet {
  readonly #keys = new Set<string>()
  readonly #capacity: number
  constructor (capacity: number) { this.#capacity = capacity }

  add (key: string): void {
    this.#keys.delete(key)
    this.#keys.add(key)
    if (this.#keys.size > this.#capacity) this.#keys.delete(this.#keys.values().next().value as string)
  }

  has (key: string): boolean { return this.#keys.has(key) }
}
