// `novacron bench` for real: a short run on a fresh 4-node devnet prints the CLI.md JSON shape with CPU
// and memory per node, and --out writes the JSON, CSV and SVG; --sim reports simulated figures.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, cli, json, tempDir } from '../../e2e/helpers.ts'
import { AVAILABLE_PROTOCOLS, KNOWN_PROTOCOLS } from '../../../src/node/protocols.ts'

after(() => cleanup())

test('bench --duration 2 --nodes 4 --ack-quorum --json --out: the CLI.md shape, perNode CPU and memory, f+1 receipts, files beside', async () => {
  const dir = tempDir('nc-bench-')
  const out = join(dir, 'bench.json')
  const r = await cli(['bench', '--duration', '2', '--nodes', '4', '--rate', '400', '--ack-quorum', '--json', '--out', out], { timeoutMs: 180_000 })
  assert.equal(r.code, 0, r.stderr)
  const b = json(r)
  for (const key of ['protocol', 'nodes', 'txSize', 'durationS', 'offeredRate', 'committedTx', 'tps', 'latencyMs', 'perNode', 'machine']) assert.ok(key in b, `field ${key}`)
  assert.equal(b.protocol, 'pbft')
  assert.equal(b.nodes, 4)
  assert.equal(b.durationS, 2)
  assert.equal(b.offeredRate, 400)
  assert.equal(b.mode, 'devnet')
  assert.ok(b.committedTx > 0)
  assert.ok(b.tps > 0)
  // every request was acknowledged by its node and one more replica (f = 1) reporting the same height and root
  assert.match(b.ack, /^f \+ 1 = 2 replicas/)
  assert.deepEqual([b.failures.requests, b.failures.firstErrors], [0, []])
  for (const q of ['p50', 'p90', 'p99']) assert.equal(typeof b.latencyMs[q], 'number', q)
  assert.ok(b.latencyMs.p50 <= b.latencyMs.p90 && b.latencyMs.p90 <= b.latencyMs.p99)
  assert.equal(b.perNode.length, 4)
  for (const p of b.perNode) {
    assert.equal(typeof p.id, 'string')
    assert.ok(p.cpuPct > 0, 'a node under load uses CPU')
    assert.ok(p.rssMiB > 0)
    assert.ok(p.peakRssMiB >= p.rssMiB, 'the peak RSS over the node\'s life is at least its RSS at the end')
  }
  assert.equal(typeof b.machine.cpus, 'number')
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), b)
  const csv = readFileSync(join(dir, 'bench.csv'), 'utf8').trimEnd().split('\n')
  assert.equal(csv.length, 2)
  assert.match(csv[1], /^pbft,devnet,4,512,2,400,\d+,/)
  assert.ok(existsSync(join(dir, 'bench.svg')))
  assert.equal(r.stderr.includes('\r'), false, 'no progress bar without a terminal')
})

test('bench --sim --protocol all --json: an array (one entry per available protocol) in simulated time', async () => {
  const r = await cli(['bench', '--sim', '--protocol', 'all', '--duration', '2', '--rate', '100', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const b = json(r)
  const list = Array.isArray(b) ? b : [b]
  assert.ok(list.length >= 1)
  for (const x of list) {
    assert.equal(x.mode, 'sim')
    assert.equal(x.simulated, true)
    assert.equal(x.committedTx, 200)
    assert.ok(x.tps > 0)
    assert.equal(x.latencyMs.p99, null)
    assert.match(x.note, /SIMULATED/)
  }
})

test('bench usage errors: --sim with --max-p99, unknown protocol', async () => {
  const r = await cli(['bench', '--sim', '--max-p99', '100'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /simulator does not expose/)
  const missing = KNOWN_PROTOCOLS.find(p => !AVAILABLE_PROTOCOLS.includes(p))
  if (missing == null) return
  const p = await cli(['bench', '--protocol', missing, '--duration', '1'])
  assert.equal(p.code, 1)
  assert.match(p.stderr, /not available in this version/)
})
