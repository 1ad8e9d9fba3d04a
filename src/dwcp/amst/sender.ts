// The sending side: plans a transfer from the measured link, opens the streams and runs it; a delta send
// first asks the receiver for the signature of its old version and then sends the delta container.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { CodecChoice, CodecSelector, LinkInfo } from '../codecs/select.ts'
import { selectorFor } from '../codecs/select.ts'
import type { StreamDialer } from '../transport/stream.ts'
import { DEFAULT_LIMITS } from '../wire/limits.ts'
import type { WireLimits } from '../wire/limits.ts'
import type { DeltaTarget } from '../wire/frames.ts'
import { buildDelta, literalBytesOf, manifestOf } from '../hde/delta.ts'
import { cdcParamsFor } from '../hde/fastcdc.ts'
import type { CdcParams } from '../hde/fastcdc.ts'
import type { Signature } from '../hde/signature.ts'
import { FrameChannel } from './channel.ts'
import { hashFile } from './file-hash.ts'
import { checkName } from './names.ts'
import { DEFAULT_LINK, planTransfer } from './plan.ts'
import { SendRun } from './send-run.ts'
import type { Payload, RunResult } from './send-run.ts'
import { TransferError } from './types.ts'
import type { DeltaSummary, TransferProgress, TransferSummary } from './types.ts'

export interface SenderOptions {
  dialer: StreamDialer
  limits?: Partial<WireLimits>
  /** The measured link to a peer (see LinkMonitor); DEFAULT_LINK until one is known. */
  linkOf?: (peer: string) => LinkInfo | null
  /** Waiting for accept, signature or result. */
  controlTimeoutMs?: number
  /** Giving up when no chunk is acked for this long. */
  idleTimeoutMs?: number
  maxChunkResends?: number
  /** Where delta containers are built (they are removed after the send). */
  workDir?: string
}

export interface SendRequest {
  file: string
  /** Peer id. */
  to: string
  /** Name at the receiver; the file's base name by default. */
  name?: string
  codec?: CodecChoice | CodecSelector
  zstdLevel?: number
  streams?: number | 'auto'
  chunkSize?: number | 'auto'
  /** Overrides the measured link for planning and codec choice. */
  link?: LinkInfo
  id?: string
  onProgress?: (p: TransferProgress) => void
  signal?: AbortSignal
}

export interface DeltaSendRequest extends SendRequest {
  /** Name of the older version in the receiver's directory. */
  baseName: string
}

/** Above this share of new bytes a delta send turns into a full one. */
export const MAX_DELTA_LITERAL_SHARE = 0.5

type Attempt = RunResult & { streams: number, id: string }

export function newTransferId (): string {
  return randomBytes(16).toString('hex')
}

export class TransferSender {
  private readonly opts: SenderOptions
  private readonly limits: WireLimits

  constructor (opts: SenderOptions) {
    this.opts = opts
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
  }

  /** Sends a file; rejects with TransferError (or the transport's error). Safe to retry: the receiver
   * resumes from the chunks it already verified. */
  async send (req: SendRequest): Promise<TransferSummary> {
    const started = performance.now()
    const payload = await this.payloadOf(req.file)
    const run = await this.run(req, payload, null)
    return this.summary(req, payload.size, started, run)
  }

  /** Sends only what changed against `baseName` at the receiver; a full send if it has no such file. */
  async sendDelta (req: DeltaSendRequest): Promise<TransferSummary> {
    const started = performance.now()
    // The receiver signs its old version while we cut the new one with the same parameters.
    const params = cdcParamsFor((await stat(req.file)).size)
    const [signature, manifest] = await Promise.all([this.fetchSignature(req.to, req.baseName, params), manifestOf(req.file, params)])
    if (signature === null) return await this.send(req)
    const sameCut = JSON.stringify(signature.signature.params) === JSON.stringify(params)
    const cut = sameCut ? manifest : await manifestOf(req.file, signature.signature.params)
    // When most of the file is new, a plain send costs less than a delta the receiver must rebuild.
    if (literalBytesOf(cut, signature.signature) > cut.size * MAX_DELTA_LITERAL_SHARE) {
      const full = await this.send(req)
      const sentBytes = full.sentBytes + signature.requestBytes
      return { ...full, sentBytes, ratio: full.rawBytes === 0 ? 1 : sentBytes / full.rawBytes }
    }
    const dir = await mkdtemp(join(this.opts.workDir ?? tmpdir(), 'dwcp-delta-'))
    try {
      const deltaPath = join(dir, 'delta')
      const stats = await buildDelta(req.file, cut, signature.signature, deltaPath)
      const payload = await this.payloadOf(deltaPath)
      const target: DeltaTarget = { baseName: req.baseName, targetSize: stats.targetSize, targetHash: stats.targetHash }
      const run = await this.run(req, payload, target)
      run.sentBytes += signature.requestBytes
      const delta: DeltaSummary = {
        baseName: req.baseName,
        copiedBytes: stats.copiedBytes,
        literalBytes: stats.literalBytes,
        deltaBytes: stats.deltaBytes,
        signatureBytes: signature.replyBytes
      }
      return { ...this.summary(req, stats.targetSize, started, run), delta }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  private async payloadOf (path: string): Promise<Payload> {
    const st = await stat(path)
    if (!st.isFile()) throw new TransferError(`${path} is not a regular file`)
    if (st.size > this.limits.maxFileSize) throw new TransferError(`${path} is larger than ${this.limits.maxFileSize} bytes`)
    return { path, size: st.size, hash: await hashFile(path) }
  }

  private linkTo (req: SendRequest): LinkInfo {
    return req.link ?? this.opts.linkOf?.(req.to) ?? DEFAULT_LINK
  }

  private async run (req: SendRequest, payload: Payload, delta: DeltaTarget | null): Promise<Attempt> {
    const name = req.name ?? basename(req.file)
    const checked = checkName(name, this.limits.maxNameBytes)
    if (!checked.ok) throw new TransferError(`cannot send as ${JSON.stringify(name)}: ${checked.error}`)
    const link = this.linkTo(req)
    const plan = planTransfer(link, {
      streams: typeof req.streams === 'number' ? req.streams : undefined,
      chunkSize: typeof req.chunkSize === 'number' ? req.chunkSize : undefined
    })
    // A huge file gets larger chunks rather than more than the receiver will track.
    const fewEnough = 2 ** Math.ceil(Math.log2(Math.max(1, payload.size / this.limits.maxChunks)))
    const chunkSize = Math.min(this.limits.maxChunkSize, Math.max(this.limits.minChunkSize, plan.chunkSize, fewEnough))
    const chunks = Math.ceil(payload.size / chunkSize)
    const streams = Math.max(1, Math.min(plan.streams, chunks))
    const id = req.id ?? newTransferId()
    const channels = (await this.opts.dialer.openStreams(req.to, streams)).map((s) => new FrameChannel(s, this.limits))
    const run = new SendRun(channels, {
      id,
      name,
      payload,
      delta,
      chunkSize,
      window: Math.max(plan.window, streams),
      link,
      selector: selectorFor(req.codec ?? 'auto', req.zstdLevel),
      limits: this.limits,
      controlTimeoutMs: this.opts.controlTimeoutMs ?? 30_000,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 60_000,
      maxChunkResends: this.opts.maxChunkResends ?? 5,
      onProgress: req.onProgress,
      signal: req.signal
    })
    return { ...await run.execute(), streams, id }
  }

  private async fetchSignature (to: string, baseName: string, params: CdcParams): Promise<{ signature: Signature, requestBytes: number, replyBytes: number } | null> {
    const [stream] = await this.opts.dialer.openStreams(to, 1)
    const ch = new FrameChannel(stream, this.limits)
    try {
      await ch.send({ type: 'sig-request', id: newTransferId(), baseName, params })
      // Signing reads the whole base: allow for a slow disk on a large image.
      const r = await ch.next((this.opts.controlTimeoutMs ?? 30_000) * 4)
      if (!r.ok) throw new TransferError(`signature: ${r.error}`)
      const f = r.value
      if (f === null) throw new TransferError('receiver closed the stream instead of sending a signature')
      if (f.type === 'reject') throw new TransferError(`receiver refused the signature request: ${f.reason}`, true)
      if (f.type !== 'signature') throw new TransferError(`expected signature, got ${f.type}`)
      await ch.stream.close()
      if (!f.found) return null
      return { signature: { params: f.params, hashes: f.hashes }, requestBytes: ch.bytesWritten, replyBytes: f.hashes.byteLength + 64 }
    } catch (e) {
      ch.abort(e instanceof Error ? e.message : String(e))
      throw e
    }
  }

  private summary (req: SendRequest, rawBytes: number, started: number, run: Attempt): TransferSummary {
    const seconds = (performance.now() - started) / 1000
    return {
      id: run.id,
      file: req.file,
      to: req.to,
      rawBytes,
      sentBytes: run.sentBytes,
      ratio: rawBytes === 0 ? 1 : run.sentBytes / rawBytes,
      codecMix: run.codecMix,
      seconds,
      MBps: seconds > 0 ? rawBytes / 1e6 / seconds : 0,
      streams: run.streams,
      chunkSize: run.chunkSize,
      chunks: run.chunks,
      resumedChunks: run.resumedChunks,
      resentChunks: run.resentChunks,
      window: run.window,
      peakInFlight: run.peakInFlight
    }
  }
}
