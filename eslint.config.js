// Lint, plus the layer rules of ARCHITECTURE.md as import restrictions: a lower layer never imports a higher
// one, only src/net touches libp2p, only src/ml touches onnxruntime, and consensus protocols stay pure.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const libp2p = ['libp2p', 'libp2p/*', '@libp2p/*', '@chainsafe/*', '@multiformats/*']
const onnx = ['onnxruntime-node', 'onnxruntime-node/*']
const layer = (files, forbidden, extra = [], { mayUseOnnx = false } = {}) => {
  const packages = [...extra, ...(mayUseOnnx ? [] : onnx)]
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...forbidden.map((dir) => ({ group: [`**/${dir}`, `**/${dir}/**`], message: `layer rule (ARCHITECTURE.md): this layer may not import src/${dir}` })),
          { group: packages, message: 'layer rule (ARCHITECTURE.md): only its owning layer imports this package (libp2p: src/net, onnxruntime: src/ml/ort.ts)' }
        ]
      }]
    }
  }
}

/** Folders under src/consensus holding a pure protocol or the engine protocols share. */
const protocolDirs = ['pbft', 'probft', 'bullshark', 'tpbft', 'three-phase']

const above = {
  encoding: ['crypto', 'consensus', 'state', 'net', 'node', 'api', 'cli', 'tui', 'dwcp', 'ml', 'alloc', 'fl', 'config', 'log', 'metrics'],
  crypto: ['consensus', 'state', 'net', 'node', 'api', 'cli', 'tui', 'dwcp', 'ml', 'alloc', 'fl'],
  consensus: ['state', 'net', 'node', 'api', 'cli', 'tui', 'dwcp', 'ml', 'alloc', 'fl'],
  state: ['net', 'node', 'api', 'cli', 'tui', 'dwcp', 'alloc', 'fl'],
  net: ['consensus', 'state', 'node', 'api', 'cli', 'tui', 'dwcp', 'ml'],
  api: ['node', 'cli', 'tui'],
  tui: ['node', 'net', 'state', 'consensus', 'dwcp', 'cli'],
  node: ['cli', 'tui']
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.devnet/**', '.scratch/**', 'models/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/consistent-type-imports': 'error'
    }
  },
  layer(['src/encoding/**'], above.encoding, libp2p),
  layer(['src/crypto/**'], above.crypto, libp2p),
  // core knows no protocol, no driver and no simulator; the driver and the simulator know no protocol by name
  // beyond the registry.
  layer(['src/consensus/core/**'], [...above.consensus, ...protocolDirs, 'driver', 'sim', 'registry.ts'], libp2p),
  layer(['src/consensus/sim/**', 'src/consensus/driver/**'], above.consensus, libp2p),
  // Protocols are pure state machines: no I/O, no clocks, no libp2p, no storage; a protocol imports no other
  // protocol (a PBFT-family one may import the three-phase engine) and not the registry that lists them all.
  ...protocolDirs.map((dir) => ({
    files: [`src/consensus/${dir}/**`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/state', '**/state/**', '**/net', '**/net/**', '**/node/**', '**/api/**', '**/cli/**', '**/driver/**', '**/sim/**'], message: 'protocols are pure: they import only consensus/core and crypto' },
          { group: [...libp2p, 'node:fs', 'node:net', 'node:http', 'node:sqlite', 'node:timers', 'node:child_process'], message: 'protocols are pure: no I/O' },
          { group: protocolDirs.filter((d) => d !== dir && d !== 'three-phase').flatMap((d) => [`**/consensus/${d}/**`, `../${d}/**`]), message: 'a protocol never imports another protocol: share through consensus/core (or consensus/three-phase)' },
          { group: ['**/consensus/registry.ts', '../registry.ts'], message: 'protocols never import the registry: the registry imports them' }
        ]
      }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'protocols are pure: time arrives as the `now` argument' },
        { object: 'Math', property: 'random', message: 'protocols are pure: derive randomness from inputs' }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate']
    }
  })),
  // The chaos history checker is pure: it gets parsed histories and an injected clock, and reads nothing.
  {
    files: ['src/chaos/check/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', '**/net/**', '**/node/**', '**/api/**', '**/cli/**', ...libp2p], message: 'src/chaos/check is pure: no I/O' }] }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'the checker is pure: pass a clock in CheckBudget.expired' }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'fetch']
    }
  },
  layer(['src/state/**'], above.state, libp2p),
  layer(['src/net/**'], above.net),
  layer(['src/api/**'], above.api, libp2p),
  layer(['src/tui/**'], above.tui, libp2p),
  layer(['src/node/**'], above.node),
  layer(['src/cli/**', 'src/dwcp/**', 'src/alloc/**', 'src/fl/**'], [], libp2p),
  // onnxruntime loads through src/ml/ort.ts alone, which turns its telemetry off first.
  layer(['src/ml/**'], ['net', 'node', 'api', 'cli', 'tui'], libp2p),
  layer(['src/ml/ort.ts'], ['net', 'node', 'api', 'cli', 'tui'], libp2p, { mayUseOnnx: true }),
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: onnx, message: 'import onnxruntime through src/ml/ort.ts (it turns the telemetry off first)' }] }] }
  }
)
