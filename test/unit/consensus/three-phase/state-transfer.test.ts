// A replica behind a stable checkpoint fetches its state once, not once per resend tick, and on an idle
// cluster retries a fetch that never installed, after a growing wait, from the next peer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import type { CheckpointMsg, ThreePhaseMessage } from '../../../../src/consensus/three-phase/messages.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { PBFT_TIMERS, createPbft } from '../../../../src/consensus/pbft/module.ts'
import { pbftCodec } from '../../../../src/consensus/pbft/codec.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

const validators = new ValidatorSet(['a', 'b', 'c', 'd'].map((id) => ({ id, publicKey: new Uint8Array(32) })))
const genesis = sha256(new Uint8Array([3]))
const root = sha256(new Uint8Array([4]))
const fetches = (fx: Effect<ThreePhaseMessage>[]) => fx.flatMap((e) => e.kind === 'fetchState' ? [e] : [])

test('one fetch per checkpoint, retried with backoff from rotating peers while nothing else happens', () => {
  const c = createPbft({ self: 'c', validators, signer: new FakeSigner('c'), verifier: new FakeVerifier(), genesisHash: genesis, params: { checkpointInterval: 8, watermarkWindow: 32, resendIntervalMs: 1000 } })
  c.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0)
  let fx: Effect<ThreePhaseMessage>[] = []
  for (const id of ['a', 'b', 'd']) {
    const cp = new MessageSigner(new FakeSigner(id), pbftCodec, genesis).sign<CheckpointMsg>({ protocol: 'pbft', type: 'checkpoint', seq: 8, stateRoot: root })
    fx = fx.concat(c.onMessage(id, cp, 10))
  }
  const first = fetches(fx)
  assert.equal(first.length, 1)
  assert.equal(first[0].checkpoint.seq, 8)
  // The resend timer keeps firing on an idle cluster; only some ticks retry, each from another first peer.
  const at: number[] = []
  const firstPeers: string[] = [first[0].from[0]]
  for (let now = 1000; now <= 60_000; now += 1000) {
    const f = fetches(c.onTimer(PBFT_TIMERS.resend, now))
    assert.ok(f.length <= 1)
    if (f.length === 1) { at.push(now); firstPeers.push(f[0].from[0]) }
  }
  assert.ok(at.length >= 3 && at.length <= 8, `retries at ${at.join(', ')}`)
  for (let i = 2; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= at[i - 1] - at[i - 2], 'the wait does not shrink')
  assert.ok(new Set(firstPeers).size >= 2, `peers rotate: ${firstPeers.join(', ')}`)
  // Once the snapshot is installed, no more fetches.
  c.onExecuted(8, root, 61_000)
  for (let now = 62_000; now <= 80_000; now += 1000) assert.equal(fetches(c.onTimer(PBFT_TIMERS.resend, now)).length, 0)
})
