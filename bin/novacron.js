#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli. Node 24 runs the TypeScript sources directly (type stripping).
const [major] = process.versions.node.split('.').map(Number)
if (major < 24) {
  process.stderr.write(`novacron needs Node.js 24 or later (this is ${process.version}); run it through npm (npx novacron) so the pinned Node is used\n`)
  process.exit(1)
}
// Type stripping and compiling the sources is most of a short command's start-up: Node keeps the result on
// disk (in $XDG_CACHE_HOME/novacron or the OS temp dir) and reuses it while the files are unchanged.
const { enableCompileCache } = process.getBuiltinModule('node:module')
const { compileCacheDir } = await import('./compile-cache.js')
enableCompileCache?.(compileCacheDir('source'))
const { main } = await import('../src/cli/main.ts')
await main(process.argv)
