// The one driver that binds a pure Protocol to the outside world, shared by the node and the simulator.
// It authenticates what arrives, performs what the protocol answers in order, holds back every message
// that follows a persist until the WAL has it, and executes commits strictly in sequence.
import { batchBytes, makeBatch, txKey } from '../core/batch.ts'
import type { Batch, Tx } from '../core/batch.ts'
import { MAX_MESSAGE_BYTES, MAX_WAL_RECORD_BYTES } from '../core/limits.ts'
import { Mempool } from '../core/mempool.ts'
import type { AddResult, MempoolLimits } from '../core/mempool.ts'
import { MessageVerifier, decodeSigned, encodeSigned } from '../core/message.ts'
import type { Message, Signed } from '../core/message.ts'
import type { Checkpoint, Effect, Protocol, TimerId } from '../core/protocol.ts'
import { decodeRecord, encodeRecord } from '../core/record.ts'
import type { BodyLookup } from '../core/record.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import type { Verifier } from '../../crypto/signer.ts'
import type { Hash } from '../../crypto/hash.ts'
import { noMetrics } from './interfaces.ts'
import type { Clock, DriverMetrics, Executor, StateSync, TimerHandle, Transport, Wal, WalEntry } from './interfaces.ts'

export interface DriverOptions<M extends Message> {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  readonly protocol: Protocol<M>
  /** Checks the outer signature of every incoming message. */
  readonly verifier: Verifier
  readonly genesisHash: Uint8Array
  readonly transport: Transport
  readonly clock: Clock
  readonly wal: Wal
  readonly executor: Executor
  readonly stateSync: StateSync
  readonly metrics?: DriverMetrics
  readonly mempool?: Partial<MempoolLimits>
  /** Called when a host interface fails (WAL write, execution): the node must stop voting. */
  readonly onFatal?: (error: Error) => void
  /** Rewrites the duration of a timer the protocol sets, so the host can stretch or shrink its view-change /
   *  leader timeout at run time (the node's adaptive timeout) without the protocol knowing; identity when absent. */
  readonly timerMs?: (id: TimerId, ms: number) => number
  /** Group commit: when set, a persist is not written at once; `schedule` is asked to call `flush` later
   *  (the node: at the end of this event-loop turn), and every persist queued by then, from this input
   *  and any that arrived meanwhile, becomes one WAL append (one transaction, one fsync). Everything
   *  queued after the first of them waits for it, as behind any pending persist. Unset (the simulator):
   *  each input's persists are written at once. */
  readonly groupCommit?: (flush: () => void) => void
}

interface Commit<M extends Message> { readonly seq: number, readonly batch: Batch, readonly certificate: readonly Signed<M>[] }

const isPromise = <T>(v: unknown): v is Promise<T> => typeof (v as Promise<T> | undefined)?.then === 'function'

export class Driver<M extends Message = Message> {
  readonly self: ValidatorId
  readonly protocol: Protocol<M>
  readonly mempool: Mempool
  readonly #o: DriverOptions<M>
  readonly #verifier: MessageVerifier<M>
  readonly #metrics: DriverMetrics
  readonly #timers = new Map<TimerId, TimerHandle>()
  #effects: Effect<M>[] = []
  #effectsAt = 0
  #persisting = false
  readonly #commits: Commit<M>[] = []
  #executing = false
  #executed = 0
  #stopped = false

  constructor (opts: DriverOptions<M>) {
    this.self = opts.self
    this.protocol = opts.protocol
    this.#o = opts
    this.#verifier = new MessageVerifier(opts.verifier, opts.protocol.codec, opts.genesisHash)
    this.#metrics = opts.metrics ?? noMetrics
    this.mempool = new Mempool(opts.mempool)
  }

  /** Restores the protocol from its WAL and starts it; `executed` is where the state machine stands;
   *  `bodies`: the WAL's body store, for records that name their batch by digest. A record that cannot be
   *  read (a body missing from the store among them) throws, naming the record: the node must not vote
   *  on a partial memory of what it signed. */
  start (walRecords: readonly Uint8Array[], executed: Checkpoint, bodies?: BodyLookup): void {
    const records = walRecords.map((bytes, i) => {
      const r = decodeRecord(this.protocol.codec, bytes, bodies)
      if (!r.ok) throw new Error(`consensus WAL record ${i} is unreadable: ${r.error}`)
      return r.value
    })
    this.#executed = executed.seq
    this.protocol.restore(records)
    this.#run(this.protocol.start(executed, this.#o.clock.now()))
  }

  /** Stops timers and ignores further input (crash in the simulator, shutdown in the node). */
  stop (): void {
    this.#stopped = true
    for (const h of this.#timers.values()) this.#o.clock.clearTimer(h)
    this.#timers.clear()
  }

  /** Admits a client transaction: refused with a reason when empty, too large, duplicate or pool full. */
  submit (tx: Tx): AddResult {
    return this.submitMany([tx])[0]
  }

  /** Admits several transactions with one protocol request, so a client batch costs one onRequest. */
  submitMany (txs: readonly Tx[]): AddResult[] {
    const results = txs.map((tx) => this.mempool.add(tx))
    const admitted = txs.filter((_tx, i) => results[i].ok)
    if (admitted.length > 0 && !this.#stopped) this.#run(this.protocol.onRequest(makeBatch(admitted), this.#o.clock.now()))
    return results
  }

  /** Bytes from the transport, whose sender it authenticated as `from`. Never throws on bad input. */
  receive (from: ValidatorId, bytes: Uint8Array): void {
    if (this.#stopped) return
    if (bytes.byteLength > MAX_MESSAGE_BYTES) return this.#drop('oversized', from)
    if (!this.#o.validators.has(from)) return this.#drop('unknown-sender', from)
    const decoded = decodeSigned(this.protocol.codec, bytes)
    if (!decoded.ok) return this.#drop('malformed', from)
    const signed = decoded.value
    if (!this.#o.validators.has(signed.from)) return this.#drop('unknown-signer', from)
    if (!this.#verifier.verify(signed)) return this.#drop('bad-signature', from)
    this.#run(this.protocol.onMessage(from, signed, this.#o.clock.now()))
  }

  #drop (reason: Parameters<DriverMetrics['dropped']>[0], from: ValidatorId): void {
    this.#metrics.dropped(reason, from)
  }

  #run (effects: Effect<M>[]): void {
    if (this.#stopped || effects.length === 0) return
    if (this.#effectsAt === this.#effects.length) {
      this.#effects = effects
      this.#effectsAt = 0
    } else {
      this.#effects.push(...effects)
    }
    this.#drain()
  }

  /** Performs queued effects in order; a pending WAL write holds back everything after it. */
  #drain (): void {
    while (!this.#persisting && !this.#stopped && this.#effectsAt < this.#effects.length) {
      const e = this.#effects[this.#effectsAt++]
      switch (e.kind) {
        case 'persist':
          if (this.#o.groupCommit !== undefined) { this.#effectsAt--; this.#holdForGroup(); break }
          this.#persist(e)
          break
        case 'send': this.#transmit(e.to, e.msg); break
        case 'broadcast': this.#transmit(this.#o.validators.others(this.self), e.msg); break
        case 'setTimer': this.#setTimer(e.id, e.ms); break
        case 'cancelTimer': this.#cancelTimer(e.id); break
        case 'commit': this.#commits.push(e); this.#execute(); break
        case 'fetchState': this.#fetchState(e.from, e.checkpoint); break
        case 'log':
          this.#metrics.event(e.event)
          if (e.event.type === 'view-change') this.#metrics.viewChange(e.event.view as number)
      }
    }
  }

  /** A message no peer would accept (over MAX_MESSAGE_BYTES) is not sent: a protocol bug, reported as the
   *  event 'message-too-large' (the simulator's limits checker fails on it), never fatal. */
  #transmit (to: readonly ValidatorId[], msg: Signed<M>): void {
    const bytes = encodeSigned(this.protocol.codec, msg)
    if (bytes.byteLength > MAX_MESSAGE_BYTES) return this.#metrics.event({ type: 'message-too-large', message: msg.msg.type, bytes: bytes.byteLength })
    this.#o.transport.send(to, bytes)
  }

  /** Consecutive persists become one WAL append (one fsync in the node). A record storage would refuse
   *  (over MAX_WAL_RECORD_BYTES) is left out and reported as 'record-too-large' instead of halting the node:
   *  the protocols' byte budgets keep every record that follows from an accepted message below the limit,
   *  so this is a protocol bug, and halting on it would hand a peer that found one every honest node. */
  #persist (first: Extract<Effect<M>, { kind: 'persist' }>): void {
    const entries: WalEntry[] = []
    let pruneBelow: number | undefined
    for (let e: Effect<M> | undefined = first; e?.kind === 'persist'; e = this.#effects[this.#effectsAt]) {
      if (e !== first) this.#effectsAt++
      const entry = this.#entry(e.record)
      if (entry !== undefined) entries.push(entry)
      if (e.pruneBelow !== undefined) pruneBelow = Math.max(pruneBelow ?? 0, e.pruneBelow)
    }
    if (entries.length === 0 && pruneBelow === undefined) return
    let done: ReturnType<Wal['append']>
    try {
      done = this.#o.wal.append(entries, pruneBelow)
    } catch (error) {
      return this.#fatal(error)
    }
    if (!isPromise(done)) return
    this.#persisting = true
    done.then(() => {
      this.#persisting = false
      this.#drain()
    }, (error: unknown) => this.#fatal(error))
  }

  /** The WAL entry of a record, or undefined (reported) when storage would refuse it: the record, or the
   *  body it names, over MAX_WAL_RECORD_BYTES. */
  #entry (record: Extract<Effect<M>, { kind: 'persist' }>['record']): WalEntry | undefined {
    const { bytes, body } = encodeRecord(this.protocol.codec, record)
    const size = Math.max(bytes.byteLength, body === undefined ? 0 : batchBytes(body.txs))
    if (size > MAX_WAL_RECORD_BYTES) {
      this.#metrics.event({ type: 'record-too-large', record: record.msg.type, bytes: size })
      return undefined
    }
    return body === undefined ? { seq: record.seq, bytes } : { seq: record.seq, bytes, body }
  }

  /** Holds everything from the first queued persist on, and asks for the flush that writes the group. */
  #holdForGroup (): void {
    this.#persisting = true
    this.#o.groupCommit!(() => this.#flushGroup())
  }

  /** Writes every persist still queued as one append, in order; the other effects keep their order and
   *  run once it is durable. A persist thus moves ahead of sends queued before it: writing a record
   *  earlier than needed never breaks "durable before any message that follows it". */
  #flushGroup (): void {
    if (this.#stopped) return
    const entries: WalEntry[] = []
    let pruneBelow: number | undefined
    const rest: Effect<M>[] = []
    for (let i = this.#effectsAt; i < this.#effects.length; i++) {
      const e = this.#effects[i]
      if (e.kind !== 'persist') { rest.push(e); continue }
      const entry = this.#entry(e.record)
      if (entry !== undefined) entries.push(entry)
      if (e.pruneBelow !== undefined) pruneBelow = Math.max(pruneBelow ?? 0, e.pruneBelow)
    }
    this.#effects = rest
    this.#effectsAt = 0
    const release = (): void => {
      this.#persisting = false
      this.#drain()
    }
    if (entries.length === 0 && pruneBelow === undefined) return release()
    let done: ReturnType<Wal['append']>
    try {
      done = this.#o.wal.append(entries, pruneBelow)
    } catch (error) {
      return this.#fatal(error)
    }
    if (!isPromise(done)) return release()
    done.then(release, (error: unknown) => this.#fatal(error))
  }

  #setTimer (id: TimerId, requestedMs: number): void {
    this.#cancelTimer(id)
    const ms = this.#o.timerMs === undefined ? requestedMs : this.#o.timerMs(id, requestedMs)
    this.#timers.set(id, this.#o.clock.setTimer(ms, () => {
      this.#timers.delete(id)
      if (!this.#stopped) this.#run(this.protocol.onTimer(id, this.#o.clock.now()))
    }))
  }

  #cancelTimer (id: TimerId): void {
    const h = this.#timers.get(id)
    if (h === undefined) return
    this.#o.clock.clearTimer(h)
    this.#timers.delete(id)
  }

  #execute (): void {
    while (!this.#executing && !this.#stopped && this.#commits.length > 0) {
      const c = this.#commits.shift() as Commit<M>
      if (c.seq <= this.#executed) continue
      for (const tx of c.batch.txs) this.mempool.delete(txKey(tx))
      this.#metrics.committed(c.seq, c.batch.txs.length)
      let root: ReturnType<Executor['execute']>
      try {
        root = this.#o.executor.execute(c.seq, c.batch, c.certificate)
      } catch (error) {
        return this.#fatal(error)
      }
      if (isPromise<Hash>(root)) {
        this.#executing = true
        root.then((r) => {
          this.#executing = false
          this.#executed = c.seq
          this.#run(this.protocol.onExecuted(c.seq, r, this.#o.clock.now()))
          this.#execute()
        }, (error: unknown) => this.#fatal(error))
        return
      }
      this.#executed = c.seq
      this.#run(this.protocol.onExecuted(c.seq, root, this.#o.clock.now()))
    }
  }

  #fetchState (from: readonly ValidatorId[], checkpoint: Checkpoint): void {
    const installed = (ok: boolean): void => {
      if (this.#stopped) return
      if (!ok || checkpoint.seq <= this.#executed) {
        if (this.protocol.onStateFetchFailed !== undefined) this.#run(this.protocol.onStateFetchFailed(checkpoint, this.#o.clock.now()))
        return
      }
      this.#executed = checkpoint.seq
      // Which admitted transactions the snapshot covers is unknown; the protocol forgets its pending set
      // too, and clients retry, so dropping them is safe where keeping them would leak.
      this.mempool.clear()
      this.#run(this.protocol.onExecuted(checkpoint.seq, checkpoint.stateRoot, this.#o.clock.now()))
      this.#execute()
    }
    try {
      this.#o.stateSync.fetch(from, checkpoint, installed)
    } catch (error) {
      this.#fatal(error)
    }
  }

  #fatal (error: unknown): void {
    this.stop()
    const e = error instanceof Error ? error : new Error(String(error))
    if (this.#o.onFatal !== undefined) this.#o.onFatal(e)
    else throw e
  }
}
