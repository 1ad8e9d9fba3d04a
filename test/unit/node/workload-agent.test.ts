// The heartbeat interval: the cluster-wide heartbeat rate stays about constant as the validator set grows,
// so heartbeats (consensus transactions) never become most of an idle cluster's work.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HEARTBEAT_MS, heartbeatIntervalMs } from '../../../src/node/workload-agent.ts'

test('heartbeat interval: HEARTBEAT_MS up to 4 hosts, then proportional to the cluster size', () => {
  assert.equal(heartbeatIntervalMs(1), HEARTBEAT_MS)
  assert.equal(heartbeatIntervalMs(4), HEARTBEAT_MS)
  assert.equal(heartbeatIntervalMs(7), 2 * HEARTBEAT_MS)
  assert.equal(heartbeatIntervalMs(16), 4 * HEARTBEAT_MS)
  for (let n = 4; n <= 200; n++) {
    const perSecond = n / (heartbeatIntervalMs(n) / 1000)
    assert.ok(perSecond <= 4 / (HEARTBEAT_MS / 1000) + 1e-9, `n = ${n}: ${perSecond} heartbeats a second`)
    assert.ok(perSecond > 1, `n = ${n}: ${perSecond} heartbeats a second`)
  }
})
