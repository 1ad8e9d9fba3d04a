// The client history a chaos run records, and its checks' shared types: one entry per operation with its
// invoke and completion times and its outcome. Pure data: no I/O here or anywhere under src/chaos/check.

/** ok: it took effect and its result is known; fail: it did not take effect; unknown: it may or may not have, at any time after its invocation. */
export type Outcome = 'ok' | 'fail' | 'unknown'

export type RegisterFn = 'read' | 'write' | 'cas'

/** A register value: a string, or null for "absent" (the initial state of every key). */
export type RegisterValue = string | null

export interface RegisterOp {
  /** Who issued it (a client or a Jepsen process); only for reports. */
  process: string
  key: string
  f: RegisterFn
  /** read: the value it returned (when ok); write: the value written; cas: the new value. */
  value: RegisterValue
  /** cas only: the value it compared against. */
  expect?: RegisterValue
  /** Invocation time, on any clock shared by the history (ms, ns, or an event index). */
  invoke: number
  /** Completion time; null when the outcome is unknown and the operation stays open to the end. */
  complete: number | null
  outcome: Outcome
  /** ok writes in a project history: the transaction id the node acknowledged, for the lost-write check. */
  txId?: string
  /** ok writes: the height the node acknowledged. */
  height?: number
  /** Where it came from (a line of a Jepsen log), for reports. */
  ref?: string
}

/** One committed batch as `/v1/log` returns it. */
export interface LogEntry { height: number, batchId: string, stateRoot: string, txIds?: string[] }

/** The project's history file (`novacron chaos check FILE`). */
export interface History {
  format: 'novacron-history/1'
  ops: RegisterOp[]
  /** Each node's committed log at the end of the run (from height 1 where the node kept it). */
  logs?: Record<string, LogEntry[]>
}

export class HistoryFormatError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'HistoryFormatError'
  }
}

const FNS = new Set<string>(['read', 'write', 'cas'])
const OUTCOMES = new Set<string>(['ok', 'fail', 'unknown'])

function isValue (v: unknown): v is RegisterValue {
  return v === null || typeof v === 'string'
}

/** Validates a parsed project history; throws HistoryFormatError naming the first bad field. */
export function parseHistory (raw: unknown): History {
  if (raw === null || typeof raw !== 'object') throw new HistoryFormatError('a history is a JSON object')
  const h = raw as Record<string, unknown>
  if (h.format !== 'novacron-history/1') throw new HistoryFormatError('"format" must be "novacron-history/1"')
  if (!Array.isArray(h.ops)) throw new HistoryFormatError('"ops" must be an array')
  const ops = h.ops.map((o: unknown, i: number): RegisterOp => {
    const at = `ops[${i}]`
    if (o === null || typeof o !== 'object') throw new HistoryFormatError(`${at} must be an object`)
    const op = o as Record<string, unknown>
    if (typeof op.key !== 'string') throw new HistoryFormatError(`${at}.key must be a string`)
    if (typeof op.f !== 'string' || !FNS.has(op.f)) throw new HistoryFormatError(`${at}.f must be read, write or cas`)
    if (typeof op.outcome !== 'string' || !OUTCOMES.has(op.outcome)) throw new HistoryFormatError(`${at}.outcome must be ok, fail or unknown`)
    if (!isValue(op.value ?? null)) throw new HistoryFormatError(`${at}.value must be a string or null`)
    if (op.f === 'cas' && !isValue(op.expect ?? null)) throw new HistoryFormatError(`${at}.expect must be a string or null`)
    if (typeof op.invoke !== 'number' || !Number.isFinite(op.invoke)) throw new HistoryFormatError(`${at}.invoke must be a number`)
    const complete = op.complete ?? null
    if (complete !== null && (typeof complete !== 'number' || !Number.isFinite(complete) || complete < op.invoke)) throw new HistoryFormatError(`${at}.complete must be null or a number not before invoke`)
    if (complete === null && op.outcome !== 'unknown') throw new HistoryFormatError(`${at}: only an unknown outcome may lack "complete"`)
    return {
      process: String(op.process ?? ''),
      key: op.key,
      f: op.f as RegisterFn,
      value: (op.value ?? null) as RegisterValue,
      ...(op.f === 'cas' ? { expect: (op.expect ?? null) as RegisterValue } : {}),
      invoke: op.invoke,
      complete: complete as number | null,
      outcome: op.outcome as Outcome,
      ...(typeof op.txId === 'string' ? { txId: op.txId } : {}),
      ...(typeof op.height === 'number' ? { height: op.height } : {}),
      ...(typeof op.ref === 'string' ? { ref: op.ref } : {})
    }
  })
  let logs: Record<string, LogEntry[]> | undefined
  if (h.logs !== undefined) {
    if (h.logs === null || typeof h.logs !== 'object') throw new HistoryFormatError('"logs" must be an object of node → entries')
    logs = {}
    for (const [node, entries] of Object.entries(h.logs as Record<string, unknown>)) {
      if (!Array.isArray(entries)) throw new HistoryFormatError(`logs.${node} must be an array`)
      logs[node] = entries.map((e: any, i: number) => {
        if (e === null || typeof e !== 'object' || !Number.isSafeInteger(e.height) || typeof e.batchId !== 'string' || typeof e.stateRoot !== 'string') {
          throw new HistoryFormatError(`logs.${node}[${i}] needs height, batchId and stateRoot`)
        }
        return { height: e.height, batchId: e.batchId, stateRoot: e.stateRoot, ...(Array.isArray(e.txIds) ? { txIds: e.txIds.map(String) } : {}) }
      })
    }
  }
  return { format: 'novacron-history/1', ops, ...(logs !== undefined ? { logs } : {}) }
}
