// `novacron trust show` (src/cli/commands/trust.ts): the human table from a fake TrustSource, and the real
// command against an admin API serving it: --json, --epoch, a bad --epoch, and a cluster of another
// protocol (exit 2, the reason on stderr).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { AdminApi } from '../../../src/api/server.ts'
import { registerTrustRoutes, trustJson } from '../../../src/api/trust.ts'
import type { TrustSource } from '../../../src/api/trust.ts'
import type { TrustEpochJson } from '../../../src/api/types.ts'
import { formatTrust } from '../../../src/cli/commands/trust.ts'
import { ExitCode } from '../../../src/cli/exit-codes.ts'
import { silentLogger } from '../../../src/log/index.ts'
import { createMetrics } from '../../../src/metrics/index.ts'
import { fakeTrustSource } from '../../helpers/trust-source.ts'

const bin = fileURLToPath(new URL('../../../bin/novacron.js', import.meta.url))

test('the human rendering: one row per validator in rank order, windows, counts and notes', () => {
  const source = fakeTrustSource()
  const json = trustJson(source.epoch(1)!, source.epochs(), 'tpbft')
  const out = formatTrust(json)
  const lines = out.split('\n')
  assert.match(lines[0], /^epoch 1 \(tpbft\) {2}config [0-9a-f]{16}/)
  assert.match(lines[1], /5 validators, \d eligible; 1 window\(s\) of 4, then single primaries; evidence of epochs 0\.\.0/)
  const header = lines.findIndex((l) => l.startsWith('rank'))
  assert.match(lines[header], /^rank +node +trust +windows +agreed +co-signed +inner +view-chg +note$/)
  const rows = lines.slice(header + 1, header + 6)
  assert.deepEqual(rows.map((r) => r.trim().split(/\s+/)[1]), json.ranking.map((n) => n.id))
  const e = rows.find((r) => r.includes('node-e'))!
  assert.match(e, /0\.000000 .* CONVICTED in epoch 0$/)
  const c = rows.find((r) => r.includes('node-c'))!
  assert.match(c, /\s4\s+16\s+3\s+0/, 'agreed 4, co-signed 16, inner 3, view-change 0')
  assert.match(out, /epochs held: 0\.\.1/)
  const first = formatTrust(trustJson(source.epoch(0)!, source.epochs(), 'tpbft'))
  assert.match(first, /no evidence yet \(pre-trust only\)/)
})

function run (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, NOVACRON_CONTEXT: '', XDG_CONFIG_HOME: '/nonexistent-novacron-test' } }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : (err as { code?: number }).code ?? 1, stdout, stderr })
    })
  })
}

async function serving (source: TrustSource | null, protocol: string, body: (url: string) => Promise<void>): Promise<void> {
  const api = new AdminApi({ listen: '127.0.0.1:0', token: null }, { logger: silentLogger, metrics: createMetrics().api })
  registerTrustRoutes(api, { protocol, source: () => source })
  const url = await api.start()
  try { await body(url) } finally { await api.stop() }
}

test('trust show against a node: --json, --epoch, exit codes', async () => {
  await serving(fakeTrustSource(), 'tpbft', async (url) => {
    const json = await run(['trust', 'show', '--node', url, '--json'])
    assert.equal(json.code, ExitCode.ok, json.stderr)
    const parsed = JSON.parse(json.stdout) as TrustEpochJson
    assert.equal(parsed.epoch, 1)
    assert.equal(parsed.ranking.length, 5)
    const zero = await run(['trust', 'show', '--epoch', '0', '--node', url])
    assert.equal(zero.code, ExitCode.ok, zero.stderr)
    assert.match(zero.stdout, /^epoch 0 \(tpbft\)/)
    const bad = await run(['trust', 'show', '--epoch', 'last', '--node', url])
    assert.equal(bad.code, ExitCode.usage)
    assert.match(bad.stderr, /--epoch must be a non-negative integer/)
    const missing = await run(['trust', 'show', '--epoch', '9', '--node', url])
    assert.equal(missing.code, ExitCode.usage)
    assert.match(missing.stderr, /no configuration of epoch 9/)
  })
  await serving(null, 'pbft', async (url) => {
    const r = await run(['trust', 'show', '--node', url, '--json'])
    assert.equal(r.code, ExitCode.usage)
    assert.deepEqual(JSON.parse(r.stdout), { error: { code: 'usage', message: 'this cluster runs pbft; trust applies to tpbft' } })
  })
})
