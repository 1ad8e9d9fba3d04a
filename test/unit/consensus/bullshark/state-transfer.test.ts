import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBullshark, BULLSHARK_TIMERS } from '../../../../src/consensus/bullshark/index.ts'
import type { BullsharkMessage, CheckpointMsg } from '../../../../src/consensus/bullshark/index.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { GENESIS, ZERO, signerOf, validatorsOf } from './dag-builder.ts'

const validators = validatorsOf(4)
const RESEND = 1000
const fetches = (fx: Effect<BullsharkMessage>[]): Array<Extract<Effect<BullsharkMessage>, { kind: 'fetchState' }>> =>
  fx.flatMap((e) => (e.kind === 'fetchState' ? [e] : []))

test('a lagging replica runs one snapshot download per checkpoint and retries a failed one with backoff', () => {
  const b = createBullshark({ self: 'v0', validators, signer: new FakeSigner('v0'), verifier: new FakeVerifier(), genesisHash: GENESIS, params: { resendIntervalMs: RESEND } })
  b.start(ZERO, 0)
  const cp: CheckpointMsg = { protocol: 'bullshark', type: 'checkpoint', seq: 10, anchorRound: 100, lastOrdered: [99, 99, 99, 100], stateRoot: new Uint8Array(32).fill(7) }
  // f + 1 = 2 matching checkpoints far ahead: a snapshot is needed.
  const first = [...b.onMessage('v1', signerOf('v1').sign(cp), 1), ...b.onMessage('v2', signerOf('v2').sign(cp), 2)]
  assert.equal(fetches(first).length, 1)
  // The download is slow: resend ticks with no progress must not start another one.
  let during = 0
  for (let t = 1; t <= 6; t++) during += fetches(b.onTimer(BULLSHARK_TIMERS.resend, t * RESEND)).length
  assert.equal(during, 0, `${during} more downloads started while one was in flight`)
  // It fails. The next attempt waits for the backoff, comes once, and leads with another peer.
  assert.equal(typeof b.onStateFetchFailed, 'function', 'the protocol hears about failed downloads')
  b.onStateFetchFailed({ seq: 10, stateRoot: cp.stateRoot }, 6500)
  assert.equal(fetches(b.onTimer(BULLSHARK_TIMERS.resend, 7000)).length, 0, 'backing off')
  // Rounds move on meanwhile (this replica proposes on its header timer), as on an idle cluster.
  b.onTimer(BULLSHARK_TIMERS.header, 8000)
  const retry = fetches(b.onTimer(BULLSHARK_TIMERS.resend, 7500 + RESEND))
  assert.equal(retry.length, 1, 'retried after the backoff, also on an idle cluster')
  assert.notEqual(retry[0].from[0], fetches(first)[0].from[0], 'rotated to the next peer')
  assert.equal(fetches(b.onTimer(BULLSHARK_TIMERS.resend, 9000 + RESEND)).length, 0, 'and again only one in flight')
})
