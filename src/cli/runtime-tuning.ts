// Memory settings for a process that runs for days (`novacron node start`), applied before the node loads.
// Node's defaults suit short, allocation-heavy programs: V8 lets each young-generation semi-space grow to
// 16 MiB (two are committed, and both are touched as scavenges alternate), and glibc keeps up to 8 malloc
// arenas per core, one per thread that allocates (libuv's pool, V8's platform threads, the inference
// thread). A node's young objects are small and short-lived, so 2 MiB semi-spaces and 2 arenas hold the
// same work in less memory. Measured on the 2-core machine (median of 3, alternating): an idle 1-node
// devnet 228 → 181 MiB RSS; 4-node PBFT `novacron bench --duration 15` peak RSS per node about 550 → 480
// MiB, throughput within run-to-run noise (7,120 → 6,940 tx/s).
//
// Neither can be changed from inside a running process (V8 sizes the heap when the isolate is created;
// glibc reads MALLOC_ARENA_MAX at its first allocation), so the process replaces itself once with
// process.execve: the same pid (node.json, devnet and process groups stay right), stdio, argv and working
// directory, with NODE_OPTIONS and MALLOC_ARENA_MAX added. What an operator already set for either is kept,
// and the tuned image puts the environment back as it was (anything it starts sees the operator's).
// NOVACRON_RUNTIME_TUNED marks the second image; set to 1 by hand, it turns the re-exec off.
import { isSea } from 'node:sea'

export const RUNTIME_TUNED_ENV = 'NOVACRON_RUNTIME_TUNED'
const SEMI_SPACE_MIB = 2
const MALLOC_ARENAS = 2
const TUNED_KEYS = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX'] as const

/** The environment the tuned image runs with (the marker holds what the tuned keys were), or null when
 *  nothing is to change: already tuned, or turned off. */
export function tunedEnvironment (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv | null {
  if (env[RUNTIME_TUNED_ENV] != null && env[RUNTIME_TUNED_ENV] !== '') return null
  const before = Object.fromEntries(TUNED_KEYS.map((k) => [k, env[k] ?? null]))
  const out: NodeJS.ProcessEnv = { ...env, [RUNTIME_TUNED_ENV]: JSON.stringify(before) }
  const options = env.NODE_OPTIONS ?? ''
  if (!/--max-semi-space-size\b/.test(options)) out.NODE_OPTIONS = `${options} --max-semi-space-size=${SEMI_SPACE_MIB}`.trim()
  if (env.MALLOC_ARENA_MAX == null || env.MALLOC_ARENA_MAX === '') out.MALLOC_ARENA_MAX = String(MALLOC_ARENAS)
  return out
}

/** In the tuned image: the tuned keys as they were before the re-exec (the marker stays, so a child that is
 *  itself a node does not tune again from an environment already tuned). False when this is no tuned image. */
export function restoreEnvironment (env: NodeJS.ProcessEnv): boolean {
  const marker = env[RUNTIME_TUNED_ENV]
  if (marker == null || !marker.startsWith('{')) return false
  let before: Record<string, string | null>
  try { before = JSON.parse(marker) } catch { return false }
  for (const k of TUNED_KEYS) {
    const v = before[k]
    if (typeof v === 'string') env[k] = v
    else delete env[k]
  }
  return true
}

/**
 * Replaces this process with itself under the tuned environment. Returns having changed nothing when it is
 * already tuned (then it restores the operator's environment), when this Node has no process.execve, or when
 * the exec fails (the node then runs with Node's default memory settings; nothing else differs).
 */
export function execTuned (warn: (msg: string) => void): void {
  if (restoreEnvironment(process.env)) return
  const env = tunedEnvironment(process.env)
  if (env == null || typeof process.execve !== 'function') return
  // The single executable puts its own path in argv[1] again at start (it takes no script): pass only the arguments.
  const args = process.argv.slice(isSea() ? 2 : 1)
  try {
    process.execve(process.execPath, [process.execPath, ...args], env as Record<string, string>)
  } catch (err) {
    warn(`running with Node's default memory settings: re-exec with tuned ones failed (${err instanceof Error ? err.message : String(err)})`)
  }
}
