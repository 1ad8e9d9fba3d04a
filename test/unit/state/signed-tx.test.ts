// Signed transactions on apply: unsigned, badly signed, expired, too-far-valid and unauthorized commands are
// recorded failures, identical on MemoryBackend and Storage; a replay is refused forever (duplicate, then expired).
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import type { BatchOutcome } from '../../../src/state/machine.ts'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { kvPutTx, noopTx, nodeHeartbeatTx, nodeJoinTx, workloadPlaceTx, workloadStatusTx } from '../../../src/state/tx.ts'
import { checkSignedTx, decodeSignedTx, signTx, SIGNED_TX_OVERHEAD } from '../../../src/state/signed-tx.ts'
import type { TxAuth } from '../../../src/state/signed-tx.ts'
import { generateEd25519 } from '../../../src/crypto/ed25519.ts'
import { DUPLICATE_ERROR } from '../../../src/state/replay.ts'
import { TABLE } from '../../../src/state/records.ts'
import { toHex, utf8Bytes } from '../../../src/state/bytes.ts'
import { tempDbPath } from './helpers.ts'

const genesis = new Uint8Array(32).fill(7)
const hostA = generateEd25519()
const hostB = generateEd25519()
const client = generateEd25519()
const auth: TxAuth = { genesisHash: genesis, validators: new Map([[toHex(hostA.publicKeyRaw), 'A'], [toHex(hostB.publicKeyRaw), 'B']]) }
const node = (id: string): Parameters<typeof nodeJoinTx>[0] => ({ id, cpu: 4, memMiB: 1024, diskGiB: 10, addresses: [], labels: {} })

/** The same machine on both backends; every batch must give equal results and roots. */
function pair (t: TestContext, replayWindow?: number): { apply: (height: number, txs: Uint8Array[]) => BatchOutcome, kv: (k: string) => string | undefined } {
  const mem = new StateMachine(new MemoryBackend(), { auth, replayWindow })
  const disk = Storage.open({ path: tempDbPath(t) })
  t.after(() => disk.close())
  const sm = new StateMachine(disk, { auth, replayWindow })
  return {
    apply (height, txs) {
      const a = mem.applyBatch({ height, txs, committedAt: 0 })
      const b = sm.applyBatch({ height, txs, committedAt: 0 })
      assert.deepEqual(a.results, b.results)
      assert.deepEqual(a.stateRoot, b.stateRoot)
      return a
    },
    kv (k) {
      const v = disk.readState(TABLE.kv, utf8Bytes(k))
      return v === undefined ? undefined : Buffer.from(v).toString()
    }
  }
}

test('unsigned, badly signed, other-cluster and unauthorized transactions are refused on apply, alike on both backends', (t) => {
  const { apply, kv } = pair(t)
  const good = signTx(kvPutTx('k', 'good'), client, 10, genesis)
  const unsigned = kvPutTx('k', 'unsigned')
  const forged = signTx(kvPutTx('k', 'forged'), client, 10, genesis)
  forged[forged.length - 1] ^= 1
  const tampered = signTx(kvPutTx('k', 'tampered'), client, 10, genesis)
  tampered[SIGNED_TX_OVERHEAD - 64 + 10] ^= 1 // a byte of the command, under the signature
  const otherCluster = signTx(kvPutTx('k', 'other'), client, 10, new Uint8Array(32))
  const joinA = signTx(nodeJoinTx(node('A')), hostA, 10, genesis)
  const beatA = signTx(nodeHeartbeatTx('A'), hostA, 10, genesis)
  const beatAByB = signTx(nodeHeartbeatTx('A'), hostB, 10, genesis)
  const beatAByClient = signTx(nodeHeartbeatTx('A'), client, 10, genesis)
  const placeByClient = signTx(workloadPlaceTx('w', 'A'), client, 10, genesis)
  const failByClient = signTx(workloadStatusTx('w', 'failed'), client, 10, genesis)
  const out = apply(1, [good, unsigned, forged, tampered, otherCluster, joinA, beatA, beatAByB, beatAByClient, placeByClient, failByClient])
  const errors = out.results.map(r => r.ok ? 'ok' : r.error)
  assert.equal(errors[0], 'ok')
  assert.match(errors[1], /unsigned transaction refused/)
  assert.match(errors[2], /bad transaction signature/)
  assert.match(errors[3], /bad transaction signature/)
  assert.match(errors[4], /bad transaction signature/)
  assert.deepEqual(errors.slice(5, 7), ['ok', 'ok'])
  assert.match(errors[7], /unauthorized: node.heartbeat for A must be signed by that host's validator key/)
  assert.match(errors[8], /unauthorized: node.heartbeat for A/)
  assert.match(errors[9], /unauthorized: workload.place must be signed by a validator key/)
  assert.match(errors[10], /unauthorized: workload.status failed/)
  assert.equal(kv('k'), 'good')
})

test('validUntil must lie in [height, height + replay window - 1]', (t) => {
  const { apply } = pair(t, 8)
  apply(1, [])
  const out = apply(2, [signTx(noopTx(), client, 1, genesis), signTx(noopTx(), client, 2, genesis), signTx(noopTx(), client, 9, genesis), signTx(noopTx(), client, 10, genesis)])
  const errors = out.results.map(r => r.ok ? 'ok' : r.error)
  assert.match(errors[0], /expired at height 1/)
  assert.deepEqual(errors.slice(1, 3), ['ok', 'ok'])
  assert.match(errors[3], /validUntil 10 is not below height 2 \+ the replay window 8/)
})

test('a replay is refused forever: a duplicate within the window, expired after it (unsigned, it applied again)', (t) => {
  const W = 8
  const { apply, kv } = pair(t, W)
  const put = signTx(kvPutTx('k', 'old'), client, W, genesis)
  assert.equal(apply(1, [put]).results[0].ok, true)
  assert.equal(apply(2, [signTx(kvPutTx('k', 'new'), client, 1 + W, genesis)]).results[0].ok, true)
  assert.deepEqual(apply(3, [put]).results[0], { ok: false, error: DUPLICATE_ERROR })
  for (let h = 4; h <= 1 + W + 5; h++) {
    const r = apply(h, [put]).results[0]
    assert.equal(r.ok, false, `replay accepted at height ${h}`)
    // the first attempt past the window is refused as expired (and, like every failure, remembered again)
    if (h === W + 1) assert.match(r.ok ? '' : r.error, /expired at height 8/)
  }
  assert.equal(kv('k'), 'new')
  // the hole this closes: without signatures the same replay past the window applies again
  const bare = new StateMachine(new MemoryBackend(), { replayWindow: W })
  const oldPut = kvPutTx('k', 'old')
  bare.applyBatch({ height: 1, txs: [oldPut] })
  for (let h = 2; h <= W + 1; h++) bare.applyBatch({ height: h, txs: [] })
  assert.equal(bare.applyBatch({ height: W + 2, txs: [oldPut] }).results[0].ok, true)
})

test('the envelope decoder is total and canonical; checkSignedTx never throws', () => {
  const env = signTx(kvPutTx('k', 'v'), client, 5, genesis)
  const d = decodeSignedTx(env)
  assert.ok(d.ok)
  assert.equal(d.value.validUntil, 5)
  for (let cut = 0; cut < env.length; cut++) assert.equal(decodeSignedTx(env.subarray(0, cut)).ok, false)
  assert.equal(decodeSignedTx(Buffer.concat([env, Buffer.from([0])])).ok, false)
  const badKey = env.slice(); badKey.fill(0xff, 1, 33)
  assert.equal(checkSignedTx(badKey, 1, 8, auth).ok, false)
  assert.throws(() => signTx(kvPutTx('k', 'v'), client, -1, genesis), RangeError)
})
