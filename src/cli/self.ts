// How to start this same program again as a child (devnet nodes): the single executable is its own
// process.execPath (and takes no script argument); from source it is this Node running bin/novacron.js.
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'
import { isSea } from 'node:sea'

export function selfCommand (): { command: string, args: string[] } {
  if (process.env.NOVACRON_BIN != null && process.env.NOVACRON_BIN !== '') return { command: resolve(process.env.NOVACRON_BIN), args: [] }
  if (isSea()) return { command: process.execPath, args: [] }
  const script = process.argv[1]
  if (script != null && /novacron(\.js)?$/.test(script)) return { command: process.execPath, args: [resolve(script)] }
  return { command: process.execPath, args: [fileURLToPath(new URL('../../bin/novacron.js', import.meta.url))] }
}
