// Transactions (commands) of the replicated state machine and their canonical binary encoding.
//
// Consensus orders opaque bytes; the tx id is sha256 of exactly those bytes, so the encoding must be
// canonical: encodeTx(decodeTx(b)) === b for every b that decodes. Layout (big-endian):
//
//   u8 TX_VERSION | u8 kind | u8 nonceLen, nonce | body (per kind, below)
//
// Strings are u16-length-prefixed UTF-8, kv values u32-length-prefixed bytes, resources u32. Labels are
// encoded sorted by key and the decoder demands strictly ascending keys, so a map has one encoding.
// A later release adds kinds or bumps TX_VERSION; it never changes what a (version, kind) pair means.
import { hash, randomBytes } from 'node:crypto'
import { decodeWith, DecodeError, utf8Bytes, Writer } from './bytes.ts'
import type { Reader, Result } from './bytes.ts'
import {
  MAX_ADDRESS_BYTES, MAX_ADDRESSES, MAX_KEY_BYTES, MAX_LABEL_KEY_BYTES, MAX_LABEL_VALUE_BYTES, MAX_LABELS,
  MAX_NAME_BYTES, MAX_NONCE_BYTES, MAX_RESOURCE, MAX_TX_BYTES, MAX_VALUE_BYTES
} from './limits.ts'

export const TX_VERSION = 1

/** Resources a node advertises or a workload asks for. */
export interface Resources {
  /** vCPUs */
  cpu: number
  memMiB: number
  diskGiB: number
}

export interface NodeInfo extends Resources {
  /** the node's peer id */
  id: string
  addresses: string[]
  labels: Record<string, string>
}

export interface WorkloadSpec extends Resources {
  name: string
  /** seconds it runs once started; 0 or absent: until stopped. Encoded only when non-zero (one encoding). */
  durationS?: number
}

// Append only: the index is the wire code. 'stopped' is an operator's stop, 'completed' a run that lasted its duration.
export const WORKLOAD_STATUSES = ['pending', 'placed', 'running', 'completed', 'failed', 'cancelled', 'stopped'] as const
export type WorkloadStatus = typeof WORKLOAD_STATUSES[number]
/** A workload in one of these states never changes again. */
export const TERMINAL_STATUSES: readonly WorkloadStatus[] = ['completed', 'failed', 'cancelled', 'stopped']

/** `nonce` is optional everywhere: empty means two identical commands are one tx (same id, deduplicated). */
export type Tx =
  | { type: 'kv.put', nonce?: Uint8Array, key: string, value: Uint8Array }
  | { type: 'kv.del', nonce?: Uint8Array, key: string }
  | { type: 'node.join', nonce?: Uint8Array, node: NodeInfo }
  | { type: 'node.update', nonce?: Uint8Array, node: NodeInfo }
  | { type: 'node.leave', nonce?: Uint8Array, id: string }
  | { type: 'workload.submit', nonce?: Uint8Array, spec: WorkloadSpec }
  | { type: 'workload.status', nonce?: Uint8Array, id: string, status: WorkloadStatus, reason: string }
  /** changes nothing; a client commits one to get a point in the log to read after (linearizable reads) */
  | { type: 'noop', nonce?: Uint8Array }
  /** a registered host says it is alive (the registry's liveness counts these, see machine.ts) */
  | { type: 'node.heartbeat', nonce?: Uint8Array, id: string }
  /** put a pending workload (or one whose host is no longer live) on `node`; every replica checks it fits */
  | { type: 'workload.place', nonce?: Uint8Array, id: string, node: string }

export type TxType = Tx['type']

// Wire codes: append only, never renumber.
const KIND_CODES: Record<TxType, number> = {
  'kv.put': 1,
  'kv.del': 2,
  'node.join': 3,
  'node.update': 4,
  'node.leave': 5,
  'workload.submit': 6,
  'workload.status': 7,
  noop: 8,
  'node.heartbeat': 9,
  'workload.place': 10
}
const KIND_BY_CODE = new Map(Object.entries(KIND_CODES).map(([k, v]) => [v, k as TxType]))

/** Thrown by encodeTx (and the builders) for a transaction that breaks a documented limit. */
export class TxValidationError extends Error {
  override name = 'TxValidationError'
  readonly code = 'ERR_TX_INVALID'
}

// ---- validation (shared by encoder and decoder so both enforce the same limits) ----

function checkString (s: unknown, what: string, max: number, allowEmpty = false): string | null {
  if (typeof s !== 'string') return `${what} must be a string`
  if (!s.isWellFormed()) return `${what} is not well-formed Unicode`
  const n = Buffer.byteLength(s, 'utf8')
  if (n === 0 && !allowEmpty) return `${what} must not be empty`
  if (n > max) return `${what} is ${n} bytes, limit ${max}`
  return null
}

function checkResource (v: unknown, what: string): string | null {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > MAX_RESOURCE) return `${what} must be an integer in 0..${MAX_RESOURCE}`
  return null
}

function checkResources (r: Resources, what: string): string | null {
  return checkResource(r.cpu, `${what} cpu`) ?? checkResource(r.memMiB, `${what} memMiB`) ?? checkResource(r.diskGiB, `${what} diskGiB`)
}

function checkNode (n: NodeInfo): string | null {
  if (n === null || typeof n !== 'object') return 'node must be an object'
  const bad = checkString(n.id, 'node id', MAX_KEY_BYTES) ?? checkResources(n, 'node')
  if (bad !== null) return bad
  if (!Array.isArray(n.addresses) || n.addresses.length > MAX_ADDRESSES) return `node addresses must be an array of at most ${MAX_ADDRESSES}`
  for (const a of n.addresses) {
    const e = checkString(a, 'node address', MAX_ADDRESS_BYTES)
    if (e !== null) return e
  }
  if (n.labels === null || typeof n.labels !== 'object') return 'node labels must be an object'
  const keys = Object.keys(n.labels)
  if (keys.length > MAX_LABELS) return `node has ${keys.length} labels, limit ${MAX_LABELS}`
  for (const k of keys) {
    const e = checkString(k, 'label key', MAX_LABEL_KEY_BYTES) ?? checkString(n.labels[k], `label ${k}`, MAX_LABEL_VALUE_BYTES, true)
    if (e !== null) return e
  }
  return null
}

function checkNonce (nonce: Uint8Array | undefined): string | null {
  if (nonce === undefined) return null
  if (!(nonce instanceof Uint8Array)) return 'nonce must be bytes'
  if (nonce.length > MAX_NONCE_BYTES) return `nonce is ${nonce.length} bytes, limit ${MAX_NONCE_BYTES}`
  return null
}

/** Why `tx` cannot be encoded, or null when it is within every limit. */
export function validateTx (tx: Tx): string | null {
  if (tx === null || typeof tx !== 'object' || !(tx.type in KIND_CODES)) return `unknown transaction type ${String((tx as Tx | null)?.type)}`
  const nonce = checkNonce(tx.nonce)
  if (nonce !== null) return nonce
  switch (tx.type) {
    case 'kv.put':
      if (!(tx.value instanceof Uint8Array)) return 'value must be bytes'
      if (tx.value.length > MAX_VALUE_BYTES) return `value is ${tx.value.length} bytes, limit ${MAX_VALUE_BYTES}`
      return checkString(tx.key, 'key', MAX_KEY_BYTES)
    case 'kv.del':
      return checkString(tx.key, 'key', MAX_KEY_BYTES)
    case 'node.join':
    case 'node.update':
      return checkNode(tx.node)
    case 'node.leave':
      return checkString(tx.id, 'node id', MAX_KEY_BYTES)
    case 'workload.submit':
      if (tx.spec === null || typeof tx.spec !== 'object') return 'workload spec must be an object'
      return checkString(tx.spec.name, 'workload name', MAX_NAME_BYTES, true) ?? checkResources(tx.spec, 'workload') ??
        (tx.spec.durationS === undefined ? null : checkResource(tx.spec.durationS, 'workload durationS'))
    case 'workload.status':
      if (!WORKLOAD_STATUSES.includes(tx.status)) return `workload status must be one of ${WORKLOAD_STATUSES.join(', ')}`
      return checkString(tx.id, 'workload id', MAX_KEY_BYTES) ?? checkString(tx.reason, 'reason', MAX_NAME_BYTES, true)
    case 'noop':
      return null
    case 'node.heartbeat':
      return checkString(tx.id, 'node id', MAX_KEY_BYTES)
    case 'workload.place':
      return checkString(tx.id, 'workload id', MAX_KEY_BYTES) ?? checkString(tx.node, 'node id', MAX_KEY_BYTES)
  }
}

// ---- encoding ----

function writeResources (w: Writer, r: Resources): void {
  w.u32(r.cpu).u32(r.memMiB).u32(r.diskGiB)
}

function readResources (r: Reader): Resources {
  return { cpu: r.u32('cpu'), memMiB: r.u32('memMiB'), diskGiB: r.u32('diskGiB') }
}

/** Also used for node records in the state tables. */
export function writeNodeInfo (w: Writer, n: NodeInfo): void {
  w.str16(n.id)
  writeResources(w, n)
  w.u8(n.addresses.length)
  for (const a of n.addresses) w.str16(a)
  const keys = Object.keys(n.labels).sort(compareUtf8)
  w.u8(keys.length)
  for (const k of keys) w.str16(k).str16(n.labels[k])
}

export function readNodeInfo (r: Reader): NodeInfo {
  const id = r.str16(MAX_KEY_BYTES, 'node id')
  const res = readResources(r)
  const nAddr = r.u8('address count')
  if (nAddr > MAX_ADDRESSES) throw new DecodeError(`${nAddr} addresses, limit ${MAX_ADDRESSES}`)
  const addresses: string[] = []
  for (let i = 0; i < nAddr; i++) addresses.push(r.str16(MAX_ADDRESS_BYTES, 'address'))
  const nLabels = r.u8('label count')
  if (nLabels > MAX_LABELS) throw new DecodeError(`${nLabels} labels, limit ${MAX_LABELS}`)
  const labels: Record<string, string> = Object.create(null)
  let prev: string | null = null
  for (let i = 0; i < nLabels; i++) {
    const k = r.str16(MAX_LABEL_KEY_BYTES, 'label key')
    if (prev !== null && compareUtf8(prev, k) >= 0) throw new DecodeError('labels not in strictly ascending key order')
    labels[k] = r.str16(MAX_LABEL_VALUE_BYTES, 'label value')
    prev = k
  }
  return { id, ...res, addresses, labels }
}

/** Byte order of UTF-8, which is what the encoding sorts by (JS string order differs above U+FFFF). */
export function compareUtf8 (a: string, b: string): number {
  return Buffer.compare(utf8Bytes(a), utf8Bytes(b))
}

/** The canonical bytes of `tx`; throws TxValidationError when it breaks a limit. */
export function encodeTx (tx: Tx): Uint8Array {
  const bad = validateTx(tx)
  if (bad !== null) throw new TxValidationError(`invalid ${String(tx?.type)} transaction: ${bad}`)
  const w = new Writer(tx.type === 'kv.put' ? tx.value.length + 64 : 256)
  w.u8(TX_VERSION).u8(KIND_CODES[tx.type]).bytes8(tx.nonce ?? new Uint8Array(0))
  switch (tx.type) {
    case 'kv.put': w.str16(tx.key).bytes32(tx.value); break
    case 'kv.del': w.str16(tx.key); break
    case 'node.join':
    case 'node.update': writeNodeInfo(w, tx.node); break
    case 'node.leave': w.str16(tx.id); break
    case 'workload.submit':
      w.str16(tx.spec.name); writeResources(w, tx.spec)
      if ((tx.spec.durationS ?? 0) > 0) w.u32(tx.spec.durationS!)
      break
    case 'workload.status': w.str16(tx.id).u8(WORKLOAD_STATUSES.indexOf(tx.status)).str16(tx.reason); break
    case 'noop': break
    case 'node.heartbeat': w.str16(tx.id); break
    case 'workload.place': w.str16(tx.id).str16(tx.node); break
  }
  const out = w.finish()
  if (out.length > MAX_TX_BYTES) throw new TxValidationError(`transaction is ${out.length} bytes, limit ${MAX_TX_BYTES}`)
  return out
}

/** Parses untrusted bytes; never throws. A result that is ok is valid and within every limit. */
export function decodeTx (bytes: Uint8Array): Result<Tx> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: 'transaction must be bytes' }
  if (bytes.length > MAX_TX_BYTES) return { ok: false, error: `transaction is ${bytes.length} bytes, limit ${MAX_TX_BYTES}` }
  const res = decodeWith(bytes, (r): Tx => {
    const version = r.u8('version')
    if (version !== TX_VERSION) throw new DecodeError(`unsupported transaction version ${version} (this release reads ${TX_VERSION})`)
    const code = r.u8('kind')
    const type = KIND_BY_CODE.get(code)
    if (type === undefined) throw new DecodeError(`unknown transaction kind ${code}`)
    const nonce = r.bytes(8, MAX_NONCE_BYTES, 'nonce').slice()
    let tx: Tx
    switch (type) {
      case 'kv.put': tx = { type, nonce, key: r.str16(MAX_KEY_BYTES, 'key'), value: r.bytes(32, MAX_VALUE_BYTES, 'value').slice() }; break
      case 'kv.del': tx = { type, nonce, key: r.str16(MAX_KEY_BYTES, 'key') }; break
      case 'node.join':
      case 'node.update': tx = { type, nonce, node: readNodeInfo(r) }; break
      case 'node.leave': tx = { type, nonce, id: r.str16(MAX_KEY_BYTES, 'node id') }; break
      case 'workload.submit': {
        const name = r.str16(MAX_NAME_BYTES, 'workload name')
        const spec: WorkloadSpec = { name, ...readResources(r) }
        if (r.remaining > 0) {
          spec.durationS = r.u32('durationS')
          if (spec.durationS === 0) throw new DecodeError('a zero duration is encoded by leaving it out')
        }
        tx = { type, nonce, spec }
        break
      }
      case 'workload.status': {
        const id = r.str16(MAX_KEY_BYTES, 'workload id')
        const status = WORKLOAD_STATUSES[r.u8('status')]
        if (status === undefined) throw new DecodeError('unknown workload status')
        tx = { type, nonce, id, status, reason: r.str16(MAX_NAME_BYTES, 'reason') }
        break
      }
      case 'noop': tx = { type, nonce }; break
      case 'node.heartbeat': tx = { type, nonce, id: r.str16(MAX_KEY_BYTES, 'node id') }; break
      case 'workload.place': tx = { type, nonce, id: r.str16(MAX_KEY_BYTES, 'workload id'), node: r.str16(MAX_KEY_BYTES, 'node id') }; break
    }
    r.end('transaction')
    return tx
  })
  if (!res.ok) return { ok: false, error: `malformed transaction: ${res.error}` }
  const bad = validateTx(res.value)
  return bad === null ? res : { ok: false, error: `invalid transaction: ${bad}` }
}

/** Tx id: sha256 of the encoded bytes (what the mempool deduplicates on and `log tail` prints). */
export function txId (bytes: Uint8Array): Uint8Array {
  // the one-shot API: this runs once per transaction on the apply path, where createHash costs 30% more
  return hash('sha256', bytes, 'buffer') as unknown as Buffer
}

/** A fresh random nonce, for a client that wants a repeated command to be a new transaction. */
export function randomNonce (): Uint8Array {
  return randomBytes(16)
}

/** A workload's id is derived from the tx that submitted it (128 bits of the tx id, hex): unique and deterministic. */
export function workloadIdFor (submitTxId: Uint8Array): string {
  return Buffer.from(submitTxId.subarray(0, 16)).toString('hex')
}

// ---- builders: the encoded bytes for the common commands ----

export interface TxOptions {
  /** bytes, or 'random' for a fresh 16-byte nonce; default none (identical commands share one id) */
  nonce?: Uint8Array | 'random'
}

function nonceOf (opts: TxOptions | undefined): Uint8Array | undefined {
  return opts?.nonce === 'random' ? randomNonce() : opts?.nonce
}

export function kvPutTx (key: string, value: string | Uint8Array, opts?: TxOptions): Uint8Array {
  return encodeTx({ type: 'kv.put', nonce: nonceOf(opts), key, value: typeof value === 'string' ? utf8Bytes(value) : value })
}

export function kvDelTx (key: string, opts?: TxOptions): Uint8Array {
  return encodeTx({ type: 'kv.del', nonce: nonceOf(opts), key })
}

export function nodeJoinTx (node: NodeInfo, opts?: TxOptions): Uint8Array {
  return encodeTx({ type: 'node.join', nonce: nonceOf(opts), node })
}

export function nodeUpdateTx (node: NodeInfo, opts?: TxOptions): Uint8Array {
  return encodeTx({ type: 'node.update', nonce: nonceOf(opts), node })
}

export function nodeLeaveTx (id: string, opts?: TxOptions): Uint8Array {
  return encodeTx({ type: 'node.leave', nonce: nonceOf(opts), id })
}

export function workloadSubmitTx (spec: WorkloadSpec, opts?: TxOptions): Uint8Array {
  return encodeTx({ type: 'workload.submit', nonce: nonceOf(opts), spec })
}

export function workloadStatusTx (id: string, status: WorkloadStatus, reason = '', opts?: TxOptions): Uint8Array {
  return encodeTx({ type: 'workload.status', nonce: nonceOf(opts), id, status, reason })
}

/**
 * A tx that changes nothing, for linearizable reads: commit it, wait for its commit, read local state.
 * The nonce defaults to a random one because identical noops share an id, and within the replay window
 * a repeated id is skipped as a duplicate (still committed, but its commit is the earlier one's).
 */
export function noopTx (opts: TxOptions = { nonce: 'random' }): Uint8Array {
  return encodeTx({ type: 'noop', nonce: nonceOf(opts) })
}

export function nodeHeartbeatTx (id: string, opts: TxOptions = { nonce: 'random' }): Uint8Array {
  return encodeTx({ type: 'node.heartbeat', nonce: nonceOf(opts), id })
}

/** The nonce defaults to none: a leader proposing the same placement twice makes one tx (one id). Callers
 * re-placing a workload pass its record's updatedHeight so a later placement onto the same host is new. */
export function workloadPlaceTx (id: string, node: string, opts?: TxOptions): Uint8Array {
  return encodeTx({ type: 'workload.place', nonce: nonceOf(opts), id, node })
}
