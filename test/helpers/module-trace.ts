// Preloaded with `node --import` to record every module a process loads (ESM and CommonJS, files and
// builtins) into the file named by NOVACRON_MODULE_TRACE, one URL a line, when the process exits.
import { registerHooks } from 'node:module'
import { writeFileSync } from 'node:fs'

const seen: string[] = []
registerHooks({ load (url, context, nextLoad) { seen.push(url); return nextLoad(url, context) } })
process.on('exit', () => {
  // An undocumented but long-standing list of the builtins this process loaded (fetch's undici among them).
  const builtins = ((process as unknown as { moduleLoadList: string[] }).moduleLoadList).filter(m => m.startsWith('NativeModule ')).map(m => 'node-internal:' + m.slice('NativeModule '.length))
  writeFileSync(process.env.NOVACRON_MODULE_TRACE as string, [...seen, ...builtins].join('\n') + '\n')
})
