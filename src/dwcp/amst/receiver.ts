// The receiving side: serves inbound DWCP streams. Files land only in the configured directory, under
// checked names, after their hash matches; everything a peer declares is bounded before use.
import { lstat, mkdir, readdir, rm, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { FrameStream } from '../transport/stream.ts'
import { DEFAULT_LIMITS } from '../wire/limits.ts'
import type { WireLimits } from '../wire/limits.ts'
import type { Frame, FrameOf } from '../wire/frames.ts'
import { cdcParamsFor, validCdcParams } from '../hde/fastcdc.ts'
import { SignatureCache, signatureCount } from '../hde/signature.ts'
import { errorMessage, fail } from '../result.ts'
import { FrameChannel } from './channel.ts'
import { chunkCountOf } from './file-hash.ts'
import type { OfferDescription } from './journal.ts'
import { INTERNAL_PREFIX, checkName, pathInside } from './names.ts'
import { ReceiveSession, sessionKey } from './session.ts'

export interface ReceiverOptions {
  /** The only directory peers can write to. */
  dir: string
  limits?: Partial<WireLimits>
  /** fsync chunk data and journal before acking (default true; tests on tmpfs may turn it off). */
  durable?: boolean
  /** How long a new stream may stay silent before its first frame. */
  firstFrameTimeoutMs?: number
  /** Transfers served at once; more are refused. */
  maxSessions?: number
  /** Streams one transfer may use; more are aborted. */
  maxStreamsPerTransfer?: number
  /** A stream silent this long mid-transfer is dropped, so an idle peer cannot pin files open. */
  streamIdleTimeoutMs?: number
  onEvent?: (e: ReceiverEvent) => void
  /** Free space kept for everything else on this disk (the node's database lives there too): an offer
   *  that would eat into it is refused, and transfers in progress are stopped when free space falls
   *  below half of it. Default: the larger of 512 MiB and 5% of the file system. */
  reserveBytes?: number
  /** Bytes one peer may have in flight here at once (offers being received, summed). Default 64 GiB. */
  perPeerQuotaBytes?: number
  /** Partial files untouched this long are removed by `collectStale` (default 24 h). */
  partialMaxAgeMs?: number
  /** Free and total bytes of the file system holding `dir` (statfs by default; tests inject a small disk). */
  diskSpace?: (dir: string) => Promise<DiskSpace>
}

export interface DiskSpace { availableBytes: number, totalBytes: number }

export const DEFAULT_RESERVE_MIN_BYTES = 512 * 1024 * 1024
export const DEFAULT_PER_PEER_QUOTA_BYTES = 64 * 1024 * 1024 * 1024
export const DEFAULT_PARTIAL_MAX_AGE_MS = 24 * 3600 * 1000

async function statfsSpace (dir: string): Promise<DiskSpace> {
  const fs = await statfs(dir)
  return { availableBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize }
}

/** Bytes promised to one offer until its transfer ends: the disk space it may still take. */
interface Reservation { from: string, bytes: number }

export type ReceiverEvent =
  | { type: 'offer', id: string, from: string, name: string, size: number, resumedChunks: number, delta: boolean }
  | { type: 'progress', id: string, from: string, name: string, doneBytes: number, totalBytes: number }
  | { type: 'complete', id: string, from: string, name: string, size: number, path: string }
  | { type: 'failed', id: string, from: string, name: string, reason: string }
  | { type: 'refused', from: string, reason: string }

interface Active {
  id: string
  from: string
  session: ReceiveSession
  channels: Set<FrameChannel>
  finished: boolean
  released: Promise<void>
  release: () => void
  reservation: Reservation
}

export class TransferReceiver {
  readonly dir: string
  private readonly limits: WireLimits
  private readonly opts: ReceiverOptions
  private readonly byKey = new Map<string, Active>()
  private readonly byId = new Map<string, Active>()
  private readonly channels = new Set<FrameChannel>()
  private closing = false
  private readonly signatures = new SignatureCache()
  private readonly keyLocks = new Map<string, Promise<void>>()
  private readonly reservations = new Set<Reservation>()

  constructor (opts: ReceiverOptions) {
    this.opts = opts
    this.dir = opts.dir
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
  }

  async init (): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
  }

  /** Serves one inbound stream to its end; never throws (a misbehaving peer only loses its stream). */
  async handleStream (stream: FrameStream, from: string): Promise<void> {
    const ch = new FrameChannel(stream, this.limits)
    this.channels.add(ch)
    try {
      if (this.closing) return ch.abort('receiver closing')
      const first = await ch.next(this.opts.firstFrameTimeoutMs ?? 30_000)
      if (!first.ok || first.value === null) return ch.abort(first.ok ? 'no frame' : first.error)
      const f = first.value
      if (f.type === 'offer') await this.onOffer(ch, f, from)
      else if (f.type === 'join') await this.onJoin(ch, f)
      else if (f.type === 'sig-request') await this.onSignatureRequest(ch, f)
      else ch.abort(`unexpected first frame ${f.type}`)
    } catch (e) {
      ch.abort(errorMessage(e))
    } finally {
      this.channels.delete(ch)
    }
  }

  private emit (e: ReceiverEvent): void {
    try {
      this.opts.onEvent?.(e)
    } catch {
      // An observer's bug must not break a transfer.
    }
  }

  private async refuse (ch: FrameChannel, id: string, from: string, reason: string): Promise<void> {
    this.emit({ type: 'refused', from, reason })
    await ch.send({ type: 'reject', id, reason }).catch(() => {})
    await ch.stream.close().catch(() => {})
  }

  private reserveOf (space: DiskSpace): number {
    return this.opts.reserveBytes ?? Math.max(DEFAULT_RESERVE_MIN_BYTES, Math.floor(space.totalBytes * 0.05))
  }

  /** Disk space promised to transfers in progress (and to offers being accepted), in all or for one peer. */
  reservedBytes (from?: string): number {
    let n = 0
    for (const r of this.reservations) if (from === undefined || r.from === from) n += r.bytes
    return n
  }

  private async checkOffer (f: FrameOf<'offer'>, from: string): Promise<{ refusal: string } | { reservation: Reservation }> {
    const { limits } = this
    const refuse = (refusal: string): { refusal: string } => ({ refusal })
    const name = checkName(f.name, limits.maxNameBytes)
    if (!name.ok) return refuse(name.error)
    if (f.size > limits.maxFileSize) return refuse(`file of ${f.size} bytes exceeds the limit of ${limits.maxFileSize}`)
    if (f.chunkSize < limits.minChunkSize || f.chunkSize > limits.maxChunkSize) return refuse(`chunk size ${f.chunkSize} outside ${limits.minChunkSize}..${limits.maxChunkSize}`)
    if (chunkCountOf(f.size, f.chunkSize) > limits.maxChunks) return refuse(`more than ${limits.maxChunks} chunks`)
    let needed = f.size
    if (f.delta !== null) {
      const base = checkName(f.delta.baseName, limits.maxNameBytes)
      if (!base.ok) return refuse(`base ${base.error}`)
      if (f.delta.targetSize > limits.maxFileSize) return refuse(`target of ${f.delta.targetSize} bytes exceeds the limit`)
      needed += f.delta.targetSize
      const basePath = pathInside(this.dir, f.delta.baseName, limits.maxNameBytes)
      const st = basePath.ok ? await lstat(basePath.value).catch(() => null) : null
      if (st === null || !st.isFile()) return refuse(`no base file ${JSON.stringify(f.delta.baseName)}`)
    }
    if (this.byKey.size >= (this.opts.maxSessions ?? 16)) return refuse('too many transfers in progress')
    // A resumed transfer already holds part of its file on disk: only the rest is still to come.
    const { type: _t, id: _i, ...offer } = f
    const part = await lstat(ReceiveSession.paths(this.dir, sessionKey(from, offer)).part).catch(() => null)
    if (part !== null && part.isFile()) needed = Math.max(0, needed - part.blocks * 512)
    const space = await (this.opts.diskSpace ?? statfsSpace)(this.dir)
    // No await from here on: the check and the reservation are one step, so concurrent offers are summed.
    const quota = this.opts.perPeerQuotaBytes ?? DEFAULT_PER_PEER_QUOTA_BYTES
    if (this.reservedBytes(from) + needed > quota) return refuse(`over this peer's quota of ${quota} bytes in flight`)
    const spare = space.availableBytes - this.reserveOf(space) - this.reservedBytes()
    if (needed > spare) return refuse(`not enough space for ${needed} bytes (keeping ${this.reserveOf(space)} bytes free for the node)`)
    const reservation: Reservation = { from, bytes: needed }
    this.reservations.add(reservation)
    return { reservation }
  }

  /** True when free space has fallen below half the reserve: transfers stop so the node keeps its room. */
  private async spaceLow (): Promise<boolean> {
    const space = await (this.opts.diskSpace ?? statfsSpace)(this.dir).catch(() => null)
    return space !== null && space.availableBytes < this.reserveOf(space) / 2
  }

  /**
   * Removes partial files (`.dwcp-*.part`, `.journal`, `.target`) untouched for `partialMaxAgeMs` that no
   * transfer in progress holds; returns how many were removed. The node runs it at start and hourly.
   */
  async collectStale (now = Date.now()): Promise<number> {
    const maxAge = this.opts.partialMaxAgeMs ?? DEFAULT_PARTIAL_MAX_AGE_MS
    const live = new Set([...this.byKey.keys()].map(k => `${INTERNAL_PREFIX}${k}.`))
    let removed = 0
    const names = await readdir(this.dir).catch(() => [] as string[])
    for (const name of names) {
      if (!name.startsWith(INTERNAL_PREFIX) || !/\.(part|journal|target)$/.test(name)) continue
      if ([...live].some(prefix => name.startsWith(prefix))) continue
      const st = await lstat(join(this.dir, name)).catch(() => null)
      if (st === null || !st.isFile() || now - st.mtimeMs < maxAge) continue
      await rm(join(this.dir, name), { force: true })
      removed++
    }
    return removed
  }

  private async onOffer (ch: FrameChannel, f: FrameOf<'offer'>, from: string): Promise<void> {
    const checked = await this.checkOffer(f, from)
    if ('refusal' in checked) return await this.refuse(ch, f.id, from, checked.refusal)
    const { reservation } = checked
    let handedOver = false
    try {
      await this.acceptOffer(ch, f, from, reservation, () => { handedOver = true })
    } finally {
      if (!handedOver) this.reservations.delete(reservation)
    }
  }

  private async acceptOffer (ch: FrameChannel, f: FrameOf<'offer'>, from: string, reservation: Reservation, handOver: () => void): Promise<void> {
    const { type: _t, id: _i, ...offer } = f
    const key = sessionKey(from, offer)
    // A retry may reuse its transfer id; another transfer may not.
    const sameId = this.byId.get(f.id)
    if (sameId !== undefined && sameId.session.key !== key) return await this.refuse(ch, f.id, from, 'transfer id in use')
    const active = await this.exclusive(key, async () => {
      // A new attempt of the same transfer supersedes an old one whose streams may not have died yet.
      const previous = this.byKey.get(key)
      if (previous !== undefined) {
        for (const c of previous.channels) c.abort('superseded by a new attempt')
        await previous.released
      }
      const session = await ReceiveSession.open(this.dir, key, offer, this.limits, this.opts.durable ?? true)
      let release = (): void => {}
      const released = new Promise<void>((resolve) => { release = resolve })
      const a: Active = { id: f.id, from, session, channels: new Set(), finished: false, released, release, reservation }
      handOver()
      this.byKey.set(key, a)
      this.byId.set(f.id, a)
      return a
    })
    const { session } = active
    this.emit({ type: 'offer', id: f.id, from, name: f.name, size: f.size, resumedChunks: session.resumedChunks, delta: f.delta !== null })
    await this.serve(ch, active, async () => await ch.send({ type: 'accept', id: f.id, chunkSize: session.chunkSize, verified: session.verified.bytes }), true)
  }

  /** Runs `fn` alone for `key`: two offers of one transfer must not open its files at once. */
  private async exclusive<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.keyLocks.get(key) ?? Promise.resolve()
    const run = before.then(fn, fn)
    const tail = run.then(() => {}, () => {})
    this.keyLocks.set(key, tail)
    try {
      return await run
    } finally {
      if (this.keyLocks.get(key) === tail) this.keyLocks.delete(key)
    }
  }

  private async onJoin (ch: FrameChannel, f: FrameOf<'join'>): Promise<void> {
    const active = this.byId.get(f.id)
    if (active === undefined) return ch.abort('join for an unknown transfer')
    await this.serve(ch, active, async () => {}, false)
  }

  private async serve (ch: FrameChannel, a: Active, start: () => Promise<void>, isControl: boolean): Promise<void> {
    if (a.channels.size >= (this.opts.maxStreamsPerTransfer ?? 32)) return ch.abort('too many streams for one transfer')
    a.channels.add(ch)
    try {
      await start()
      while (true) {
        const r = await ch.next(this.opts.streamIdleTimeoutMs ?? 120_000)
        // A broken or idle stream ends alone (the sender moves its chunks to the others); garbage
        // ends the whole transfer.
        if (!r.ok && r.cause !== 'protocol') return ch.abort(r.error)
        if (!r.ok) return this.abortSession(a, r.error)
        if (r.value === null) break
        const f: Frame = r.value
        if (f.id !== a.id) return this.abortSession(a, 'frame for another transfer')
        if (f.type === 'chunk') {
          if (await this.spaceLow()) {
            await ch.send({ type: 'reject', id: a.id, reason: 'receiver disk space below its reserve' }).catch(() => {})
            return this.abortSession(a, 'disk space below the reserve')
          }
          const verdict = await a.session.receive(f, 2 * a.session.chunks + 16)
          if (verdict.ack) {
            if (!await this.reply(ch, { type: 'ack', id: a.id, index: f.index })) return
            this.emit({ type: 'progress', id: a.id, from: a.from, name: a.session.offer.name, doneBytes: Math.min(a.session.offer.size, a.session.verified.count * a.session.chunkSize), totalBytes: a.session.offer.size })
          } else if (verdict.fatal) {
            await ch.send({ type: 'reject', id: a.id, reason: verdict.reason }).catch(() => {})
            return this.abortSession(a, verdict.reason)
          } else if (!await this.reply(ch, { type: 'nack', id: a.id, index: f.index, reason: verdict.reason })) {
            return
          }
        } else if (f.type === 'complete' && isControl) {
          await this.complete(ch, a)
        } else {
          return this.abortSession(a, `unexpected ${f.type}`)
        }
      }
      await ch.stream.close()
    } catch (e) {
      this.abortSession(a, errorMessage(e))
    } finally {
      a.channels.delete(ch)
      if (a.channels.size === 0) await this.release(a)
    }
  }

  /** Answers on one stream; a stream that cannot take it is dropped alone. */
  private async reply (ch: FrameChannel, f: Frame): Promise<boolean> {
    try {
      await ch.send(f)
      return true
    } catch (e) {
      ch.abort(errorMessage(e))
      return false
    }
  }

  private async complete (ch: FrameChannel, a: Active): Promise<void> {
    const { offer } = a.session
    const result = await a.session.finish(async (path, params) => await this.signatures.sign(path, params))
      .catch((e: unknown) => fail(`cannot deliver: ${errorMessage(e)}`))
    a.finished = true
    if (result.ok) {
      const path = pathInside(this.dir, offer.name)
      this.emit({ type: 'complete', id: a.id, from: a.from, name: offer.name, size: offer.delta?.targetSize ?? offer.size, path: path.ok ? path.value : '' })
      await ch.send({ type: 'result', id: a.id, ok: true, hash: result.value, reason: '' })
    } else {
      this.emit({ type: 'failed', id: a.id, from: a.from, name: offer.name, reason: result.error })
      await ch.send({ type: 'result', id: a.id, ok: false, hash: new Uint8Array(32), reason: result.error })
    }
  }

  private abortSession (a: Active, reason: string): void {
    if (!a.finished) this.emit({ type: 'failed', id: a.id, from: a.from, name: a.session.offer.name, reason })
    for (const c of a.channels) c.abort(reason)
  }

  private async release (a: Active): Promise<void> {
    this.reservations.delete(a.reservation)
    if (this.byId.get(a.id) !== a) return
    this.byId.delete(a.id)
    if (this.byKey.get(a.session.key) === a) this.byKey.delete(a.session.key)
    await a.session.close()
    a.release()
  }

  private async onSignatureRequest (ch: FrameChannel, f: FrameOf<'sig-request'>): Promise<void> {
    const path = pathInside(this.dir, f.baseName, this.limits.maxNameBytes)
    if (!path.ok) return await this.refuse(ch, f.id, '', path.error)
    const st = await lstat(path.value).catch(() => null)
    const notFound = { type: 'signature' as const, id: f.id, found: false, params: { minSize: 0, avgSize: 0, maxSize: 0 }, hashes: new Uint8Array(0) }
    // A symlink could point outside the directory: only regular files are signed.
    if (st === null || !st.isFile()) {
      await ch.send(notFound)
    } else {
      // The sender's parameters let it cut its version while we sign ours; refuse ones that would make
      // a signature too large for us to send.
      const params = validCdcParams(f.params) && st.size / f.params.minSize <= this.limits.maxSignatureEntries ? f.params : cdcParamsFor(st.size)
      const { signature } = await this.signatures.sign(path.value, params)
      await ch.send(signatureCount(signature) > this.limits.maxSignatureEntries ? notFound : { type: 'signature', id: f.id, found: true, ...signature })
    }
    await ch.stream.close()
  }

  /** Transfers in progress, for `transfer list`. */
  list (): Array<{ id: string, from: string, name: string, size: number, doneBytes: number, chunks: number, verifiedChunks: number }> {
    return [...this.byId.values()].map((a) => ({
      id: a.id,
      from: a.from,
      name: a.session.offer.name,
      size: a.session.offer.size,
      doneBytes: Math.min(a.session.offer.size, a.session.verified.count * a.session.chunkSize),
      chunks: a.session.chunks,
      verifiedChunks: a.session.verified.count
    }))
  }

  /** Stops serving: aborts every stream and closes files; partial transfers stay resumable. */
  async close (): Promise<void> {
    this.closing = true
    const all = [...this.byId.values()]
    for (const c of this.channels) c.abort('receiver closing')
    await Promise.all(all.map(async (a) => await a.released))
  }
}

export type { OfferDescription }
