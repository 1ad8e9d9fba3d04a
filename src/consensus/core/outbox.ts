// The effect buffer every protocol answers through: one input's effects collect between begin(now) and
// end(), in the order they were made (the driver relies on that order: a persist holds back what follows).
// It also keeps the armed-timer set, so a timer is set once and cancelled only while armed.
import type { Hash } from '../../crypto/hash.ts'
import type { Batch } from './batch.ts'
import type { Message, MessageSigner, Signed } from './message.ts'
import type { Effect, LogEvent, TimerId } from './protocol.ts'
import type { ValidatorId } from './validators.ts'

export class Outbox<M extends Message> {
  readonly #signer: MessageSigner<M>
  readonly #armed = new Set<TimerId>()
  #out: Effect<M>[] = []
  /** The time of the input being handled. */
  now = 0

  constructor (signer: MessageSigner<M>) { this.#signer = signer }

  begin (now: number): void {
    this.now = now
    this.#out = []
  }

  end (): Effect<M>[] {
    const out = this.#out
    this.#out = []
    return out
  }

  sign<T extends M> (msg: T): Signed<T> { return this.#signer.sign(msg) }
  broadcast (s: Signed<M>): void { this.#out.push({ kind: 'broadcast', msg: s }) }
  /** Sends to each of `to`; nothing for an empty list. */
  send (to: readonly ValidatorId[], s: Signed<M>): void { if (to.length > 0) this.#out.push({ kind: 'send', to, msg: s }) }
  persist (seq: number, msg: M, pruneBelow?: number): void {
    this.#out.push(pruneBelow === undefined ? { kind: 'persist', record: { seq, msg } } : { kind: 'persist', record: { seq, msg }, pruneBelow })
  }

  commit (seq: number, batch: Batch, certificate: readonly Signed<M>[]): void { this.#out.push({ kind: 'commit', seq, batch, certificate }) }
  fetchState (from: readonly ValidatorId[], checkpoint: { readonly seq: number, readonly stateRoot: Hash }): void {
    this.#out.push({ kind: 'fetchState', from, checkpoint })
  }

  log (event: LogEvent): void { this.#out.push({ kind: 'log', event }) }

  /** Sets the timer unless it is already armed. */
  arm (id: TimerId, ms: number): void {
    if (this.#armed.has(id)) return
    this.#armed.add(id)
    this.#out.push({ kind: 'setTimer', id, ms })
  }

  /** Cancels the timer if it is armed. */
  disarm (id: TimerId): void {
    if (!this.#armed.delete(id)) return
    this.#out.push({ kind: 'cancelTimer', id })
  }

  /** Sets the timer again even if armed (the driver replaces a timer of the same id). */
  rearm (id: TimerId, ms: number): void {
    this.#armed.delete(id)
    this.arm(id, ms)
  }

  /** The timer fired: it is no longer armed. */
  fired (id: TimerId): void { this.#armed.delete(id) }
}
