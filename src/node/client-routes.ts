// The client side of the admin API: submit transactions and wait for their commit, read committed state,
// and follow the committed log. Thin: encoding lives in src/state, ordering in the consensus host.
import { ApiError, type AdminApi, type ApiRequest } from '../api/server.ts'
import { NovacronError } from '../config/errors.ts'
import { MAX_TX_BYTES, TxValidationError, kvDelTx, kvPutTx, noopTx, encodeTx, type Storage, type Tx } from '../state/index.ts'
import { toHex } from '../crypto/index.ts'
import { decodeSigned } from '../state/signed-tx.ts'
import type { CommitReceipt, CommittedBatchEvent, ConsensusHost } from './consensus-host.ts'

export const DEFAULT_COMMIT_TIMEOUT_MS = 10_000
const MAX_TIMEOUT_MS = 600_000
const MAX_TXS_PER_REQUEST = 10_000
/** Log rows `/v1/log/follow` reads from storage at a time. */
export const FOLLOW_PAGE_ROWS = 100

export interface ClientRoutesComponents {
  consensus: ConsensusHost
  storage: Storage
}

export function field (body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined
}

function stringField (body: unknown, name: string): string {
  const v = field(body, name)
  if (typeof v !== 'string') throw new ApiError(400, 'bad_request', `"${name}" must be a string`)
  return v
}

export function timeoutOf (body: unknown): number {
  const v = field(body, 'timeoutMs')
  if (v === undefined) return DEFAULT_COMMIT_TIMEOUT_MS
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > MAX_TIMEOUT_MS) throw new ApiError(400, 'bad_request', `"timeoutMs" must be a number from 1 to ${MAX_TIMEOUT_MS}`)
  return v
}

export function encode (build: () => Uint8Array): Uint8Array {
  try {
    return build()
  } catch (err) {
    if (err instanceof TxValidationError) {
      const tooLarge = /exceeds|too (large|long)|limit/i.test(err.message)
      throw new ApiError(tooLarge ? 413 : 400, tooLarge ? 'too_large' : 'bad_request', err.message)
    }
    throw err
  }
}

export function admit (consensus: ConsensusHost, txs: Uint8Array[]): Array<{ txId: string, committed: Promise<CommitReceipt> }> {
  for (const tx of txs) if (tx.byteLength > MAX_TX_BYTES) throw new ApiError(413, 'too_large', `transaction of ${tx.byteLength} bytes exceeds the limit of ${MAX_TX_BYTES} bytes`)
  try {
    return consensus.submit(txs)
  } catch (err) {
    if (err instanceof NovacronError && /mempool full/.test(err.message)) throw new ApiError(503, 'mempool_full', err.message)
    if (err instanceof NovacronError && err.kind === 'usage') throw new ApiError(413, 'too_large', err.message)
    throw err
  }
}

/**
 * Waits for every pending transaction of one request under one timer and one abort listener (a client
 * batch holds hundreds). On timeout or abort the node stops waiting; the transactions may still commit.
 */
async function waitForAll (consensus: ConsensusHost, pending: ReadonlyArray<{ txId: string, committed: Promise<CommitReceipt> }>, timeoutMs: number, signal: AbortSignal): Promise<CommitReceipt[]> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const giveUp = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ApiError(504, 'commit_timeout', `${pending.length === 1 ? `transaction ${pending[0].txId.slice(0, 16)}` : `${pending.length} transactions`} not committed within ${timeoutMs} ms (may still commit; check with \`novacron log tail\`)`)), timeoutMs)
    onAbort = () => reject(new ApiError(499, 'cancelled', 'client went away'))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const receipts = await Promise.race([Promise.all(pending.map(p => p.committed)), giveUp])
    const stopped = receipts.find(r => r.height < 0)
    if (stopped != null) throw new ApiError(503, 'stopping', stopped.error ?? 'node stopping')
    return receipts
  } catch (err) {
    for (const p of pending) consensus.forget(p.txId)
    throw err
  } finally {
    clearTimeout(timer)
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}

export async function waitFor (consensus: ConsensusHost, pending: { txId: string, committed: Promise<CommitReceipt> }, timeoutMs: number, signal: AbortSignal): Promise<CommitReceipt> {
  return (await waitForAll(consensus, [pending], timeoutMs, signal))[0]
}

/** Commands for `tx submit`: one JSON object per line, in the shape of src/state's Tx with string values. */
export function txFromJson (raw: unknown): Uint8Array {
  if (raw === null || typeof raw !== 'object') throw new ApiError(400, 'bad_request', 'each command must be a JSON object')
  const cmd = raw as Record<string, unknown>
  if (cmd.type === 'kv.put' && typeof cmd.value === 'string') return encode(() => kvPutTx(String(cmd.key), cmd.value as string, { nonce: 'random' }))
  if (cmd.type === 'kv.del') return encode(() => kvDelTx(String(cmd.key), { nonce: 'random' }))
  return encode(() => encodeTx({ ...(cmd as unknown as Tx), nonce: randomNonce() }))
}

function randomNonce (): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16))
}

/** A client-signed envelope (base64) from a request; its layout is checked here, its signature on apply. */
function signedEnvelope (b: unknown, what: string): Uint8Array {
  const bytes = typeof b === 'string' ? Buffer.from(b, 'base64') : null
  const d = bytes === null ? null : decodeSigned(bytes)
  if (bytes === null || d === null || !d.ok) throw new ApiError(400, 'bad_request', `${what}: ${d != null && !d.ok ? d.error : 'must be a base64 string'}`)
  return bytes
}

function signedField (body: unknown): Uint8Array | null {
  const v = field(body, 'signed')
  return v === undefined ? null : signedEnvelope(v, '"signed"')
}

const TX_ID_HEX = /^[0-9a-fA-F]{64}$/

/** One entry per consensus transaction of a request (a bundle's commands share one), in first-seen order. */
function distinctReceipts (receipts: readonly CommitReceipt[]): Array<{ txId: string, height: number, stateRoot: string }> {
  const seen = new Map<string, { txId: string, height: number, stateRoot: string }>()
  for (const r of receipts) if (!seen.has(r.txId)) seen.set(r.txId, { txId: r.txId, height: r.height, stateRoot: r.stateRoot })
  return [...seen.values()]
}

export function registerClientRoutes (api: AdminApi, { consensus, storage }: ClientRoutesComponents): void {
  const submitAndMaybeWait = async (req: ApiRequest, tx: Uint8Array, key: string | null): Promise<{ json: unknown }> => {
    const [pending] = admit(consensus, [tx])
    if (field(req.body, 'wait') === false) return { json: { key, txId: pending.txId, submitted: true } }
    const r = await waitFor(consensus, pending, timeoutOf(req.body), req.signal)
    if (!r.ok) throw new ApiError(409, 'tx_failed', `transaction applied with an error: ${r.error}`)
    return { json: { key, height: r.height, index: r.index, stateRoot: r.stateRoot, txId: r.txId } }
  }

  // With "signed" (a base64 envelope the CLI signed with client.key), the node passes it on as it is;
  // without, it builds the command and signs it with its own key (for local use).
  api.route('POST', '/v1/kv/put', async req => {
    const key = stringField(req.body, 'key')
    const signed = signedField(req.body)
    return await submitAndMaybeWait(req, signed ?? encode(() => kvPutTx(key, stringField(req.body, 'value'), { nonce: 'random' })), key)
  })

  api.route('POST', '/v1/kv/del', async req => {
    const key = stringField(req.body, 'key')
    return await submitAndMaybeWait(req, signedField(req.body) ?? encode(() => kvDelTx(key, { nonce: 'random' })), key)
  })

  api.route('GET', '/v1/kv/get', async req => {
    const key = req.query.get('key')
    if (key == null || key === '') throw new ApiError(400, 'bad_request', 'query parameter "key" is required')
    let readAt: number | null = null
    if (req.query.get('linearizable') === '1') {
      // A read index through consensus: once a no-op submitted now is applied here, every write
      // acknowledged before this read is applied here too.
      const r = await waitFor(consensus, admit(consensus, [noopTx({ nonce: 'random' })])[0], timeoutOf(undefined), req.signal)
      readAt = r.height
    }
    const got = storage.kvGet(key)
    if (readAt != null && got.height < readAt) throw new ApiError(500, 'internal', 'state behind the read index')
    return { json: { key, value: got.value == null ? null : Buffer.from(got.value).toString('utf8'), height: got.height } }
  })

  api.route('GET', '/v1/kv/list', req => {
    const limit = req.query.get('limit')
    const out = storage.kvList({ prefix: req.query.get('prefix') ?? undefined, after: req.query.get('after') ?? undefined, limit: limit == null ? undefined : Number(limit) })
    return { json: { entries: out.entries.map(e => ({ key: e.key, value: Buffer.from(e.value).toString('utf8') })), height: out.height } }
  })

  api.route('POST', '/v1/tx', async req => {
    // `commands`: unsigned, signed here with this node's key (for local use: the token holder speaks for the
    // node); `signed`: base64 envelopes a client signed with its own key (signed-tx.ts), passed on as they are.
    const commands = field(req.body, 'commands') ?? []
    const signed = field(req.body, 'signed') ?? []
    if (!Array.isArray(commands) || !Array.isArray(signed) || commands.length + signed.length === 0 || commands.length + signed.length > MAX_TXS_PER_REQUEST) {
      throw new ApiError(400, 'bad_request', `"commands" and "signed" must be arrays of 1 to ${MAX_TXS_PER_REQUEST} transactions in all`)
    }
    const txs = commands.map((c, i) => {
      try { return txFromJson(c) } catch (err) { throw new ApiError((err as ApiError).status ?? 400, (err as ApiError).code ?? 'bad_request', `command ${i + 1}: ${(err as Error).message}`) }
    })
    signed.forEach((b, i) => txs.push(signedEnvelope(b, `signed ${i + 1}`)))
    const pending = admit(consensus, txs)
    // One entry per command, in request order; commands signed together here share their bundle's id.
    if (field(req.body, 'wait') === false) return { json: { submitted: pending.length, txIds: pending.map(p => p.txId) } }
    const timeoutMs = timeoutOf(req.body)
    const receipts = await waitForAll(consensus, pending, timeoutMs, req.signal)
    return { json: { submitted: pending.length, committed: receipts.length, failed: receipts.filter(r => !r.ok).map(r => ({ txId: r.txId, command: r.command, error: r.error })), firstHeight: Math.min(...receipts.map(r => r.height)), lastHeight: Math.max(...receipts.map(r => r.height)), stateRoot: receipts.at(-1)?.stateRoot, receipts: distinctReceipts(receipts) } }
  })

  // A BFT client does not trust one replica's word: it asks f + 1 replicas for their receipts of the same
  // transactions and accepts a commit they agree on (height and state root). Any transaction id, whoever
  // submitted it; those not committed here within timeoutMs come back as { committed: false }.
  api.route('POST', '/v1/tx/receipts', async req => {
    const ids = field(req.body, 'txIds')
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_TXS_PER_REQUEST || !ids.every(id => typeof id === 'string' && TX_ID_HEX.test(id))) {
      throw new ApiError(400, 'bad_request', `"txIds" must be an array of 1 to ${MAX_TXS_PER_REQUEST} transaction ids (64 hex digits each)`)
    }
    const timeoutMs = timeoutOf(req.body)
    const asked = (ids as string[]).map(id => consensus.receipt(id.toLowerCase()))
    const settled = new Array<CommitReceipt | null>(asked.length).fill(null)
    let timer: NodeJS.Timeout | undefined
    let onAbort: (() => void) | undefined
    const done = new Promise<void>(resolve => {
      timer = setTimeout(resolve, timeoutMs)
      onAbort = resolve
      req.signal.addEventListener('abort', onAbort, { once: true })
    })
    await Promise.race([Promise.all(asked.map(async (a, i) => { settled[i] = await a.committed })), done])
    clearTimeout(timer)
    req.signal.removeEventListener('abort', onAbort!)
    for (const a of asked) a.cancel()
    return { json: { receipts: settled.map((r, i) => r === null || r.height < 0 ? { txId: (ids as string[])[i].toLowerCase(), committed: false } : { txId: r.txId, committed: true, height: r.height, index: r.index, stateRoot: r.stateRoot, ok: r.ok, error: r.error }) } }
  })

  api.route('GET', '/v1/log', req => {
    const from = Number(req.query.get('from') ?? '1')
    const limit = Number(req.query.get('limit') ?? '100')
    if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(limit) || limit < 1) throw new ApiError(400, 'bad_request', '"from" and "limit" must be non-negative integers')
    return { json: storage.logRange(from, Math.min(limit, 1000)).map(logJson) }
  })

  api.route('GET', '/v1/log/follow', req => {
    let next = Number(req.query.get('from') ?? String(storage.head().height + 1))
    if (!Number.isSafeInteger(next) || next < 0) throw new ApiError(400, 'bad_request', '"from" must be a non-negative integer')
    return {
      stream: async (write, signal) => {
        // Catch up from storage a page at a time, then follow commits as they happen; storage stays the
        // source of truth, so a burst of commits between events is never skipped. Every line waits for
        // the socket to take it, and every page yields to the event loop: a slow or paused reader holds
        // back only its own stream, and the log is never buffered whole.
        let wake: (() => void) | null = null
        const off = consensus.onCommit((_e: CommittedBatchEvent) => { wake?.() })
        try {
          while (!signal.aborted) {
            const rows = storage.logRange(next, FOLLOW_PAGE_ROWS)
            for (const row of rows) {
              if (signal.aborted) return
              await write(JSON.stringify(logJson(row)))
              next = row.height + 1
            }
            if (rows.length === FOLLOW_PAGE_ROWS) { await new Promise<void>(resolve => setImmediate(resolve)); continue }
            await new Promise<void>(resolve => {
              wake = resolve
              const t = setTimeout(resolve, 1000)
              signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
            })
            wake = null
          }
        } finally {
          off()
        }
      }
    }
  })
}

function logJson (row: { height: number, batchId: Uint8Array, txIds: Uint8Array[], stateRoot: Uint8Array, committedAt: number }): CommittedBatchEvent {
  return { height: row.height, batchId: toHex(row.batchId), txIds: row.txIds.map(id => toHex(id)), stateRoot: toHex(row.stateRoot), committedAt: new Date(row.committedAt).toISOString() }
}
