// Reads Jepsen's single-register logs (`INFO  jepsen.util - PROCESS\t:invoke|:ok|:fail|:info\t:read|:write|:cas\tVALUE`)
// into register operations; time is the line number, as Porcupine and Knossos order these logs.
import { HistoryFormatError, type RegisterOp, type RegisterValue } from './history.ts'

const LINE = /^INFO\s+jepsen\.util\s+-\s+(\S+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/

function value (text: string): RegisterValue {
  return text === 'nil' ? null : text
}

function casArgs (text: string, where: string): [RegisterValue, RegisterValue] {
  const m = /^\[(\S+)\s+(\S+)\]$/.exec(text)
  if (m == null) throw new HistoryFormatError(`${where}: a cas value is "[EXPECT NEW]", got ${JSON.stringify(text)}`)
  return [value(m[1]), value(m[2])]
}

/** Parses a Jepsen register log for `key`; lines that are not jepsen.util events are skipped. */
export function parseJepsenLog (text: string, key = 'register'): RegisterOp[] {
  const ops: RegisterOp[] = []
  const open = new Map<string, RegisterOp>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const where = `line ${i + 1}`
    const m = LINE.exec(lines[i])
    if (m == null) {
      if (/jepsen\.util/.test(lines[i])) throw new HistoryFormatError(`${where}: not a jepsen.util event: ${JSON.stringify(lines[i].slice(0, 80))}`)
      continue
    }
    const [, process, type, f, arg] = m
    if (type === 'invoke') {
      // A process invoking again without completing its last operation: that one's outcome is unknown.
      const prev = open.get(process)
      if (prev != null) { prev.outcome = 'unknown'; prev.complete = null }
      const op: RegisterOp = { process, key, f: f as RegisterOp['f'], value: null, invoke: i + 1, complete: null, outcome: 'unknown', ref: where }
      if (f === 'write') op.value = value(arg)
      if (f === 'cas') [op.expect, op.value] = casArgs(arg, where)
      ops.push(op)
      open.set(process, op)
      continue
    }
    const op = open.get(process)
    if (op == null) throw new HistoryFormatError(`${where}: process ${process} completes an operation it never invoked`)
    if (op.f !== f) throw new HistoryFormatError(`${where}: process ${process} invoked ${op.f} but completes ${f}`)
    open.delete(process)
    if (type === 'info') continue // unknown, open to the end
    op.complete = i + 1
    op.outcome = type === 'ok' ? 'ok' : 'fail'
    if (f === 'read' && type === 'ok') op.value = value(arg)
  }
  return ops
}
