// `npm run build:binary`: dist/novacron, a single executable (linux-x64) made with Node's single-executable
// applications on the pinned Node 24 (the node binary that runs this script is both the blob's preparer
// and the base it is injected into, as SEA requires).
//   1. esbuild bundles the ESM app (bin/novacron.js -> src/cli/main.ts) and the inference worker;
//   2. the files the app needs at run time become SEA assets: the bundle, a package.json (version), the
//      ONNX models, and the packages with native addons (onnxruntime-node + libonnxruntime, lz4-napi,
//      snappy) with only their linux-x64 binaries;
//   3. scripts/sea-main.ts, bundled to CommonJS, is the SEA main: it writes those assets to a cache dir
//      once per build and import()s the bundle from there;
//   4. node --experimental-sea-config makes the blob, postject injects it into a copy of this node.
import { build, type Plugin } from 'esbuild'
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { execFileSync, spawnSync } from 'node:child_process'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'dist')
const work = join(out, 'sea')
const stage = join(work, 'files')
const started = performance.now()
const say = (msg: string): void => { process.stderr.write(`[build:binary ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}\n`) }

if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the binary is built for linux-x64 only (this is ${process.platform}-${process.arch})`)

/** Packages with native addons: loaded from the cache dir's node_modules, never bundled. */
const NATIVE_PACKAGES = ['onnxruntime-node', 'onnxruntime-common', 'lz4-napi', '@antoniomuso/lz4-napi-linux-x64-gnu', 'snappy', '@napi-rs/snappy-linux-x64-gnu']
/** Only `models train` uses tfjs (imported lazily): it is not shipped in the binary. */
const NOT_SHIPPED = ['@tensorflow/*']
const ENTRY_DIR = 'src/cli'

rmSync(work, { recursive: true, force: true })
mkdirSync(join(stage, ENTRY_DIR), { recursive: true })

// The inference worker is its own bundle next to the app's; registry.ts names it by its source name.
const workerUrl: Plugin = {
  name: 'worker-url',
  setup (b) {
    b.onLoad({ filter: /src[\\/]ml[\\/]registry\.ts$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8')
      if (!src.includes("new URL('./worker.ts', import.meta.url)")) throw new Error('src/ml/registry.ts no longer starts its worker with new URL(\'./worker.ts\', import.meta.url): update scripts/build-binary.ts')
      return { contents: src.replace("new URL('./worker.ts', import.meta.url)", "new URL('./worker.mjs', import.meta.url)"), loader: 'ts' }
    })
  }
}

// Ink reaches react-devtools-core only with DEV=true; the binary has no devtools.
const noDevtools: Plugin = {
  name: 'no-devtools',
  setup (b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }))
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { initialize () {}, connectToDevTools () {} }', loader: 'js' }))
  }
}

say('bundling the app (esbuild)')
await build({
  entryPoints: { novacron: join(root, 'bin/novacron.js'), worker: join(root, 'src/ml/worker.ts') },
  outdir: join(stage, ENTRY_DIR),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // Lazily imported modules stay in their own chunks (and so do their imports of what is not shipped).
  splitting: true,
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node24',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  external: [...NATIVE_PACKAGES, ...NOT_SHIPPED],
  // CommonJS dependencies call require(); give the ESM bundle a real one (it also finds the natives).
  banner: { js: "import { createRequire as __ncCreateRequire } from 'node:module'; const require = __ncCreateRequire(import.meta.url);" },
  plugins: [workerUrl, noDevtools],
  logLevel: 'warning'
})

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string, version: string }
writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', private: true }) + '\n')

function copyTree (from: string, to: string, keep: (rel: string) => boolean): void {
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name)
      const rel = relative(from, abs)
      if (e.isDirectory()) walk(abs)
      else if (e.isFile() && keep(rel)) {
        mkdirSync(dirname(join(to, rel)), { recursive: true })
        copyFileSync(abs, join(to, rel))
      }
    }
  }
  walk(from)
}

say('collecting models and native addons')
const modelsDir = join(root, 'models')
if (existsSync(modelsDir)) copyTree(modelsDir, join(stage, 'models'), rel => /\.(onnx|json|md)$/.test(rel) && !rel.includes('/'))
for (const name of NATIVE_PACKAGES) {
  const from = join(root, 'node_modules', name)
  if (!existsSync(from)) throw new Error(`${name} is not installed (run npm ci)`)
  copyTree(from, join(stage, 'node_modules', name), rel => {
    if (/\.(map|d\.ts|md|ts)$/.test(rel) || /^(LICENSE|README)/i.test(rel)) return rel === 'package.json'
    // onnxruntime-node ships every platform: keep linux-x64.
    if (rel.startsWith('bin/')) return rel.startsWith('bin/napi-v6/linux/x64/')
    if (rel.startsWith('script/')) return false
    return true
  })
}

// Every staged file becomes an asset; meta.json lists them with a hash of the whole set.
const files: Array<{ path: string, mode: number }> = []
const hash = createHash('sha256')
const walk = (dir: string): void => {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const abs = join(dir, e.name)
    if (e.isDirectory()) walk(abs)
    else {
      const rel = relative(stage, abs).split('\\').join('/')
      const native = /\.(node|so(\.\d+)*)$/.test(rel)
      files.push({ path: rel, mode: native ? 0o755 : 0o644 })
      hash.update(rel + '\0').update(readFileSync(abs))
    }
  }
}
walk(stage)
const meta = { version: pkg.version, hash: hash.digest('hex'), entry: `${ENTRY_DIR}/novacron.mjs`, files }
writeFileSync(join(work, 'meta.json'), JSON.stringify(meta))
const totalBytes = files.reduce((n, f) => n + statSync(join(stage, f.path)).size, 0)
say(`${files.length} files (${(totalBytes / 2 ** 20).toFixed(1)} MiB) as assets; build ${meta.hash.slice(0, 16)}`)

say('bundling the SEA main (CommonJS)')
await build({
  entryPoints: [join(root, 'scripts/sea-main.ts')],
  outfile: join(work, 'sea-main.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node24',
  logLevel: 'warning'
})

const assets: Record<string, string> = { 'meta.json': join(work, 'meta.json') }
for (const f of files) assets[f.path] = join(stage, f.path)
const blob = join(work, 'sea-prep.blob')
writeFileSync(join(work, 'sea-config.json'), JSON.stringify({ main: join(work, 'sea-main.cjs'), output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, assets }, null, 2))

// The blob must come from the same Node binary it is injected into: this one.
const nodeBin = process.execPath
say(`preparing the blob with ${nodeBin} (${process.version})`)
execFileSync(nodeBin, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: ['ignore', 'inherit', 'inherit'] })

const target = join(out, 'novacron')
rmSync(target, { force: true })
copyFileSync(nodeBin, target)
chmodSync(target, 0o755)
// The pinned node carries debug info and a symbol table (18 MiB) that nothing at run time reads.
if (process.env.NOVACRON_NO_STRIP !== '1' && spawnSync('strip', ['--version']).status === 0) {
  say('stripping symbols from the base (the dynamic symbols that addons link against stay)')
  execFileSync('strip', [target])
}

say('injecting the blob (postject)')
const { inject } = await import('postject') as { inject: (file: string, name: string, data: Buffer, opts: { sentinelFuse: string }) => Promise<void> }
await inject(target, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2' })

const version = execFileSync(target, ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } }).trim()
if (version !== pkg.version) throw new Error(`dist/novacron --version printed ${JSON.stringify(version)}, expected ${pkg.version}`)
say(`dist/novacron ${version}: ${(statSync(target).size / 2 ** 20).toFixed(1)} MiB, built in ${((performance.now() - started) / 1000).toFixed(1)} s`)
