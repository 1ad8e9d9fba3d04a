// Where Node's compile cache goes for this program (bin/novacron.js and the single executable's main share
// it): $XDG_CACHE_HOME/novacron/compile-cache/<kind>, else ~/.cache/..., else Node's default (the OS temp dir).
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

export function compileCacheDir (kind) {
  const env = process.env
  let base
  if (env.XDG_CACHE_HOME != null && isAbsolute(env.XDG_CACHE_HOME)) base = env.XDG_CACHE_HOME
  else {
    try { base = join(homedir(), '.cache') } catch { return undefined }
  }
  return join(base, 'novacron', 'compile-cache', kind)
}
