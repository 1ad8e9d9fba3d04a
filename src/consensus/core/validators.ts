// The validator set named in genesis: ids are libp2p peer id strings, each with its raw Ed25519 public key.
// The canonical order (sorted by id) makes "primary of view v" the same on every node.
import { quorumsFor } from './quorum.ts'
import type { Quorums } from './quorum.ts'

export type ValidatorId = string

export interface ValidatorInfo {
  readonly id: ValidatorId
  readonly publicKey: Uint8Array
}

export class ValidatorSet {
  readonly validators: readonly ValidatorInfo[]
  readonly ids: readonly ValidatorId[]
  readonly quorums: Quorums
  readonly #index: ReadonlyMap<ValidatorId, number>

  constructor (validators: readonly ValidatorInfo[]) {
    if (validators.length === 0) throw new Error('a validator set needs at least one validator')
    const sorted = [...validators].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].id === sorted[i - 1].id) throw new Error(`duplicate validator id ${sorted[i].id}`)
    }
    this.validators = sorted
    this.ids = sorted.map((v) => v.id)
    this.#index = new Map(this.ids.map((id, i) => [id, i]))
    this.quorums = quorumsFor(sorted.length)
  }

  get n (): number { return this.ids.length }
  get f (): number { return this.quorums.f }

  has (id: ValidatorId): boolean { return this.#index.has(id) }

  indexOf (id: ValidatorId): number { return this.#index.get(id) ?? -1 }

  /** Round-robin primary: view v is led by the validator at v mod n. */
  primary (view: number): ValidatorId { return this.ids[view % this.ids.length] }

  publicKeys (): Array<[ValidatorId, Uint8Array]> { return this.validators.map((v) => [v.id, v.publicKey]) }

  /** Every validator except `self`: the targets of a broadcast. */
  others (self: ValidatorId): ValidatorId[] { return this.ids.filter((id) => id !== self) }
}
