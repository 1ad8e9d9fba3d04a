// The resource adversaries (floods of far-future messages, proposals over the byte budget, certificates
// repeating one signer, requests for much in return) against both protocols: every seed passes the four
// checkers and the resources checker (size limits, held messages, work and sends per message), and an
// unbounded-parking Bullshark is caught by it. Runs on the RTT data when present, synthetic latency otherwise.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Bullshark } from '../../src/consensus/bullshark/bullshark.ts'
import type { BullsharkMessage } from '../../src/consensus/bullshark/messages.ts'
import type { Batch } from '../../src/consensus/core/batch.ts'
import { MAX_TX_BYTES, MAX_WAL_RECORD_BYTES } from '../../src/consensus/core/limits.ts'
import type { Effect } from '../../src/consensus/core/protocol.ts'
import { runChecked } from '../../src/consensus/sim/run-checked.ts'
import { RESOURCE_ADVERSARIES, resourceAdversary } from '../../src/consensus/sim/resource-adversary.ts'
import type { ResourceAdversaryKind } from '../../src/consensus/sim/resource-adversary.ts'
import { scenarioFor } from '../../src/consensus/sim/scenario.ts'
import type { SimOptions } from '../../src/consensus/sim/simulation.ts'
import type { ProtocolFactory } from '../../src/consensus/sim/protocols.ts'
import { bullsharkOptions } from '../../src/consensus/bullshark/module.ts'
import type { Message } from '../../src/consensus/core/message.ts'
import type { Protocol } from '../../src/consensus/core/protocol.ts'
import { pingsCsv } from './suite.ts'

const pings = pingsCsv()
const SEEDS = [0, 1]

/** A scenario whose faulty nodes (chosen as for any adversary) run resource adversary `kind`. */
function run (protocol: 'pbft' | 'bullshark', kind: ResourceAdversaryKind, seed: number, extra: Partial<SimOptions> = {}): ReturnType<typeof runChecked> {
  const scenario = scenarioFor({ protocol, seed, n: 4 + 3 * (seed % 2), adversary: 'silent' })
  return runChecked(scenario, { pingsCsv: pings, adversary: (ctx) => resourceAdversary(kind, ctx), ...extra }, false)
}

for (const protocol of ['bullshark', 'pbft'] as const) {
  test(`${protocol} keeps memory, work and sizes bounded under every resource adversary`, () => {
    for (const kind of RESOURCE_ADVERSARIES) {
      for (const seed of SEEDS) {
        const r = run(protocol, kind, seed)
        console.log(`# ${protocol} ${kind} seed ${seed} n=${r.scenario.n}: ${r.stats.txsDone} tx, peaks ${JSON.stringify(r.stats.resources)}`)
        assert.deepEqual(r.violations, [], `${protocol} ${kind} seed ${seed}`)
        assert.equal(r.stats.txsDone, r.scenario.txs)
        if (kind === 'oversized' || kind === 'duplicate-signers' || (protocol === 'bullshark' && kind === 'flood-future')) {
          assert.ok((r.stats.protocolEvents['invalid-message'] ?? 0) > 0, `${kind} is noticed and refused`)
        }
        if (kind === 'flood-future') assert.ok(r.stats.resources.held > 0, 'the flood reaches what replicas hold')
      }
    }
  })
}

test('the resources checker catches a Bullshark that parks without a round window or author quota', () => {
  // Integers far past any run's reach: in effect no round window and no quota (parameters must be integers).
  const unbounded: ProtocolFactory = (keys, params) => new Bullshark(bullsharkOptions({ ...keys, params: { ...params, maxRoundsAhead: 1_000_000_000, parkPerAuthor: 1_000_000_000 } })) as unknown as Protocol<Message>
  const r = run('bullshark', 'flood-future', 0, { create: unbounded })
  const caught = r.violations.filter((v) => v.startsWith('resources:'))
  console.log(`# unbounded parking: ${caught[0] ?? 'not caught'}`)
  assert.ok(caught.length > 0, 'unbounded parking goes unnoticed')
})

/** Persists one record over the WAL limit with its first request: what a missing byte budget would do. */
class WritesOversizedRecord extends Bullshark {
  #done = false
  override onRequest (batch: Batch, now: number): Effect<BullsharkMessage>[] {
    const fx = super.onRequest(batch, now)
    if (this.#done) return fx
    this.#done = true
    const txs = Array.from({ length: Math.ceil(MAX_WAL_RECORD_BYTES / MAX_TX_BYTES) + 1 }, (_, i) => new Uint8Array(MAX_TX_BYTES).fill(i & 255))
    return [...fx, { kind: 'persist', record: { seq: 0, msg: { protocol: 'bullshark', type: 'batch', txs } } }]
  }
}

test('the limits checker reports an honest replica\'s record over the WAL limit', () => {
  const r = run('bullshark', 'duplicate-signers', 0, { create: (keys, params) => new WritesOversizedRecord(bullsharkOptions({ ...keys, params })) as unknown as Protocol<Message> })
  const caught = r.violations.filter((v) => v.startsWith('limits:'))
  console.log(`# oversized record: ${caught[0] ?? 'not caught'}`)
  assert.ok(caught.some((v) => v.includes('record-too-large')))
})
