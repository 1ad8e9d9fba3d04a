// The main script of the single executable (bundled to CommonJS by scripts/build-binary.ts: Node's SEA
// main must be CommonJS). It writes the app's files, carried as SEA assets (the ESM bundle, the inference
// worker, the ONNX models and the native addons with their packages), to a cache dir once per build, and
// then import()s the ESM bundle from there, so that the native addons load from real files and the
// bundle's top-level await (Ink's layout engine) works.
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { getAsset } from 'node:sea'
import { enableCompileCache } from 'node:module'

interface Meta { version: string, hash: string, entry: string, files: Array<{ path: string, mode: number }> }

function cacheRoots (): string[] {
  const roots: string[] = []
  const env = process.env
  if (env.NOVACRON_CACHE_DIR != null && isAbsolute(env.NOVACRON_CACHE_DIR)) roots.push(env.NOVACRON_CACHE_DIR)
  if (env.XDG_CACHE_HOME != null && isAbsolute(env.XDG_CACHE_HOME)) roots.push(join(env.XDG_CACHE_HOME, 'novacron'))
  try { roots.push(join(homedir(), '.cache', 'novacron')) } catch { /* no home */ }
  roots.push(join(tmpdir(), `novacron-${process.getuid?.() ?? 'user'}`))
  return roots
}

function extract (meta: Meta, dir: string): void {
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`
  try {
    for (const f of meta.files) {
      const target = join(staging, f.path)
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, new Uint8Array(getAsset(f.path)))
      chmodSync(target, f.mode)
    }
    writeFileSync(join(staging, '.complete'), meta.hash + '\n')
    try {
      renameSync(staging, dir)
    } catch (err) {
      // Another process extracted the same build first: use its copy.
      if (!existsSync(join(dir, '.complete'))) throw err
    }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

function prepare (): string {
  const meta = JSON.parse(getAsset('meta.json', 'utf8')) as Meta
  const name = `${meta.version}-${meta.hash.slice(0, 16)}`
  let lastError: unknown = null
  for (const root of cacheRoots()) {
    const dir = join(root, name)
    if (existsSync(join(dir, '.complete'))) return join(dir, meta.entry)
    try {
      mkdirSync(root, { recursive: true })
      extract(meta, dir)
      return join(dir, meta.entry)
    } catch (err) {
      lastError = err
    }
  }
  throw new Error(`cannot write the novacron cache dir (set NOVACRON_CACHE_DIR): ${lastError instanceof Error ? lastError.message : String(lastError)}`)
}

let entry: string
try {
  entry = prepare()
} catch (err) {
  process.stderr.write(`novacron: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
// Compiling the bundle's chunks is most of a short command's start-up: Node keeps the compiled code beside
// the extracted files (one cache per build) and reuses it.
enableCompileCache?.(join(dirname(dirname(dirname(entry))), '.compile-cache'))
import(pathToFileURL(entry).href).catch((err: unknown) => {
  process.stderr.write(`novacron: cannot start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
