// How to start this same program again as a child (devnet nodes): the single executable is its own
// process.execPath; from source it is this Node running bin/novacron.js.
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'

export function selfCommand (): { command: string, args: string[] } {
  if (process.env.NOVACRON_BIN != null && process.env.NOVACRON_BIN !== '') return { command: resolve(process.env.NOVACRON_BIN), args: [] }
  const script = process.argv[1]
  if (script != null && /novacron(\.js)?$/.test(script)) return { command: process.execPath, args: [resolve(script)] }
  return { command: process.execPath, args: [fileURLToPath(new URL('../../bin/novacron.js', import.meta.url))] }
}
