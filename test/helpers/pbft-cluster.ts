// A hand-driven cluster of PBFT replicas for unit tests that stage one exact interleaving: messages wait in
// one FIFO queue, a `drop` predicate the test swaps between phases decides what is lost, and every effect
// passes through `onEffect` first so a test can record commits, fetches or sizes. No clock, no network: the
// test moves time itself by calling timers and `drain(now)`.
import assert from 'node:assert/strict'
import type { Signed } from '../../src/consensus/core/message.ts'
import type { Effect } from '../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../src/consensus/core/validators.ts'
import { createPbft } from '../../src/consensus/pbft/index.ts'
import type { PbftMessage, PbftParams } from '../../src/consensus/pbft/index.ts'
import { FakeSigner, FakeVerifier } from '../../src/crypto/signer.ts'

type Replica = ReturnType<typeof createPbft>
type Drop = (from: string, to: string, m: Signed<PbftMessage>) => boolean

export class PbftCluster {
  readonly ids: readonly string[]
  readonly replicas: Map<string, Replica>
  /** What the network loses; tests replace it between phases. Nothing by default. */
  drop: Drop = () => false
  readonly #queue: Array<{ from: string, to: string, msg: Signed<PbftMessage> }> = []
  readonly #onEffect: (id: string, e: Effect<PbftMessage>) => 'deliver' | 'skip'

  /** `onEffect` sees every effect of every replica; returning 'skip' keeps a send off the wire. */
  constructor (ids: readonly string[], genesisHash: Uint8Array, params: Partial<PbftParams>, onEffect: (id: string, e: Effect<PbftMessage>) => 'deliver' | 'skip' | undefined = () => 'deliver') {
    this.ids = ids
    const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
    this.replicas = new Map(ids.map((id) => [id, createPbft({ self: id, validators, signer: new FakeSigner(id), verifier: new FakeVerifier(), genesisHash, params })]))
    this.#onEffect = (id, e) => onEffect(id, e) ?? 'deliver'
  }

  replica (id: string): Replica {
    const r = this.replicas.get(id)
    assert.ok(r !== undefined, `${id} is not running`)
    return r
  }

  /** Starts every replica from the empty state. */
  start (): void {
    for (const [id, r] of this.replicas) this.handle(id, r.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0))
  }

  /** A crashed replica receives nothing and sends nothing more. */
  crash (id: string): void {
    this.replicas.delete(id)
  }

  handle (id: string, fx: Effect<PbftMessage>[]): void {
    for (const e of fx) {
      if (this.#onEffect(id, e) === 'skip') continue
      if (e.kind === 'send' || e.kind === 'broadcast') {
        const to = e.kind === 'broadcast' ? this.ids.filter((p) => p !== id) : e.to
        for (const peer of to) if (!this.drop(id, peer, e.msg)) this.#queue.push({ from: id, to: peer, msg: e.msg })
      }
    }
  }

  /** Fires one timer on every running replica. */
  timer (name: string, now: number): void {
    for (const [id, r] of this.replicas) this.handle(id, r.onTimer(name, now))
  }

  /** Delivers queued messages until none is left (a bound catches a cluster that never goes quiet). */
  drain (now: number): void {
    for (let steps = 0; this.#queue.length > 0; steps++) {
      assert.ok(steps < 100_000, 'the cluster went quiet')
      const { from, to, msg } = this.#queue.shift() as { from: string, to: string, msg: Signed<PbftMessage> }
      const r = this.replicas.get(to)
      if (r !== undefined) this.handle(to, r.onMessage(from, msg, now))
    }
  }
}
