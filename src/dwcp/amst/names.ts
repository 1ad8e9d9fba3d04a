// A peer names the file it sends; the name must land inside the receive directory and nowhere else.
import { resolve, sep } from 'node:path'
import { fail, ok } from '../result.ts'
import type { Result } from '../result.ts'

/** Prefix of the receiver's own partial files and journals, which a peer may not name. */
export const INTERNAL_PREFIX = '.dwcp-'

/** Accepts one plain file name: no separators, no `..`, no NUL or control characters, not absolute. */
export function checkName (name: string, maxBytes = 255): Result<string> {
  if (name.length === 0) return fail('empty file name')
  if (Buffer.byteLength(name, 'utf8') > maxBytes) return fail('file name too long')
  if (name.includes('/') || name.includes('\\')) return fail('file name contains a path separator')
  if (name.includes('..')) return fail('file name contains ..')
  if (name === '.') return fail('file name is .')
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return fail('file name contains a control character')
  if (name.startsWith(INTERNAL_PREFIX)) return fail(`file name uses the reserved prefix ${INTERNAL_PREFIX}`)
  return ok(name)
}

/** The path of a checked name inside `dir`, re-checked after resolution as a second line of defence. */
export function pathInside (dir: string, name: string, maxBytes = 255): Result<string> {
  const checked = checkName(name, maxBytes)
  if (!checked.ok) return checked
  const root = resolve(dir)
  const path = resolve(root, name)
  if (!path.startsWith(root + sep) || path.slice(root.length + 1).includes(sep)) return fail('file name escapes the receive directory')
  return ok(path)
}
