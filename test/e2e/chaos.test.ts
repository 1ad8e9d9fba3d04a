// Two short chaos manifests on 4 real nodes through `novacron chaos run`: kill -9 and restart of the
// leader under load, and a partition into halves that heals. Each ends with the history linearizable, no
// acknowledged write lost, the logs agreeing and the nodes converged. As root each node runs in its own
// network namespace (the partition is nftables); otherwise the run says so and skips the partition.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, cli, json, tempDir } from './helpers.ts'
import { netnsUnavailable } from '../../src/chaos/run/env.ts'

const manifests = new URL('../chaos/manifests/', import.meta.url).pathname
const netns = netnsUnavailable() == null
after(cleanup)

for (const [name, fault] of [['kill-leader', 'kill'], ['partition-heal', 'partition']] as const) {
  test(`chaos run ${name}: linearizable, nothing lost, logs agree, converged`, { timeout: 180_000 }, async () => {
    const out = tempDir(`nc-chaos-${name}-`)
    const r = await cli(['chaos', 'run', join(manifests, `${name}.json`), '--seed', '3', '--out', out, '--json'], { timeoutMs: 170_000 })
    const report = json(r)
    assert.equal(r.code, 0, `${report.problems?.join('\n')}\n${r.stderr.slice(-2000)}`)
    assert.equal(report.verdict, 'linearizable')
    assert.equal(report.lostWrites, 0)
    assert.equal(report.logsAgree, true)
    assert.equal(report.converged, true)
    assert.ok(report.ops.ok > 50, `${report.ops.ok} operations acknowledged`)
    const event = report.faults.find((f: any) => f.kind === fault)
    if (fault === 'kill' || netns) assert.equal(event?.applied, true, JSON.stringify(report.faults))
    else assert.match(event?.note ?? '', /skipped/)
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'))
    assert.equal(history.ops.length, report.ops.total)
    assert.equal(Object.keys(history.logs).length, 4)
  })
}
