// Signed bundles (several commands under one signature) on apply: each command has its own result, an
// unauthorized command fails alone, a replayed bundle is a duplicate, a malformed, oversized, too-many-commands
// or badly signed bundle is refused whole; roots equal on MemoryBackend and Storage and across a restart.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import type { BatchInput, BatchOutcome } from '../../../src/state/machine.ts'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { kvDelTx, kvPutTx, nodeHeartbeatTx, nodeJoinTx, workloadSubmitTx } from '../../../src/state/tx.ts'
import {
  bundleRuns, checkSignedBundle, decodeSigned, decodeSignedBundle, MAX_BUNDLE_COMMANDS, SIGNED_BUNDLE_OVERHEAD, SIGNED_BUNDLE_VERSION, signBundle, signTx
} from '../../../src/state/signed-tx.ts'
import type { TxAuth } from '../../../src/state/signed-tx.ts'
import { generateEd25519 } from '../../../src/crypto/ed25519.ts'
import { DUPLICATE_ERROR } from '../../../src/state/replay.ts'
import { TABLE } from '../../../src/state/records.ts'
import { toHex, utf8Bytes, Writer } from '../../../src/state/bytes.ts'
import { MAX_TX_BYTES } from '../../../src/state/limits.ts'
import { tempDbPath } from './helpers.ts'

const genesis = new Uint8Array(32).fill(7)
const hostA = generateEd25519()
const client = generateEd25519()
const auth: TxAuth = { genesisHash: genesis, validators: new Map([[toHex(hostA.publicKeyRaw), 'A']]) }
const node = (id: string): Parameters<typeof nodeJoinTx>[0] => ({ id, cpu: 4, memMiB: 1024, diskGiB: 10, addresses: [], labels: {} })

function pair (t: TestContext): { mem: StateMachine, disk: Storage, path: string, apply: (height: number, txs: Uint8Array[]) => BatchOutcome } {
  const mem = new StateMachine(new MemoryBackend(), { auth })
  const path = tempDbPath(t)
  const disk = Storage.open({ path })
  const sm = new StateMachine(disk, { auth })
  return {
    mem,
    disk,
    path,
    apply (height, txs) {
      const input: BatchInput = { height, txs, committedAt: 0 }
      const a = mem.applyBatch(input)
      const b = sm.applyBatch(input)
      assert.deepEqual(a.results, b.results)
      assert.deepEqual(a.commandResults, b.commandResults)
      assert.deepEqual(a.stateRoot, b.stateRoot)
      return a
    }
  }
}

const kv = (s: Storage, k: string): string | undefined => {
  const v = s.readState(TABLE.kv, utf8Bytes(k))
  return v === undefined ? undefined : Buffer.from(v).toString()
}

test('a bundle applies its commands in order, each with its own result; an unauthorized one fails alone', (t) => {
  const p = pair(t)
  t.after(() => p.disk.close())
  p.apply(1, [signTx(nodeJoinTx(node('A')), hostA, 10, genesis)])
  const bundle = signBundle([kvPutTx('a', '1'), nodeHeartbeatTx('A'), kvPutTx('a', '2'), kvDelTx('missing'), kvPutTx('b', '3')], client, 10, genesis)
  const out = p.apply(2, [bundle])
  assert.equal(out.txIds.length, 1)
  const each = out.commandResults[0]
  assert.ok(each !== null)
  assert.equal(each.length, 5)
  assert.deepEqual(each.map(r => r.ok), [true, false, true, false, true])
  assert.match((each[1] as { error: string }).error, /unauthorized: node.heartbeat for A/)
  assert.match((each[3] as { error: string }).error, /not found/)
  assert.equal(out.results[0].ok, false)
  assert.match((out.results[0] as { error: string }).error, /^2 of 5 commands failed: command 1: unauthorized/)
  assert.equal(kv(p.disk, 'a'), '2')
  assert.equal(kv(p.disk, 'b'), '3')
  // the validator's own bundle may beat for itself
  const own = p.apply(3, [signBundle([nodeHeartbeatTx('A'), kvPutTx('c', '4')], hostA, 10, genesis)])
  assert.deepEqual(own.commandResults[0], [{ ok: true }, { ok: true }])
  assert.deepEqual(own.results[0], { ok: true })
})

test('a replayed bundle is a duplicate; its commands are not applied again', (t) => {
  const p = pair(t)
  t.after(() => p.disk.close())
  const bundle = signBundle([kvPutTx('k', 'first', { nonce: 'random' }), kvPutTx('j', 'x')], client, 10, genesis)
  p.apply(1, [bundle])
  p.apply(2, [signTx(kvPutTx('k', 'second'), client, 10, genesis)])
  const again = p.apply(3, [bundle])
  assert.deepEqual(again.results, [{ ok: false, error: DUPLICATE_ERROR }])
  assert.deepEqual(again.commandResults, [null])
  assert.equal(kv(p.disk, 'k'), 'second')
  assert.equal(p.mem.isDuplicate(again.txIds[0]), true)
})

test('malformed, badly signed, other-cluster, expired, oversized and too-many-command bundles are refused whole', (t) => {
  const p = pair(t)
  t.after(() => p.disk.close())
  const forged = signBundle([kvPutTx('f', '1'), kvPutTx('f', '2')], client, 10, genesis)
  forged[forged.length - 1] ^= 1
  const tampered = signBundle([kvPutTx('t', '1'), kvPutTx('t', '2')], client, 10, genesis)
  tampered[SIGNED_BUNDLE_OVERHEAD - 64 + 10] ^= 1
  const other = signBundle([kvPutTx('o', '1'), kvPutTx('o', '2')], client, 10, new Uint8Array(32))
  const expired = signBundle([kvPutTx('e', '1'), kvPutTx('e', '2')], client, 0, genesis)
  const truncated = signBundle([kvPutTx('m', '1'), kvPutTx('m', '2')], client, 10, genesis).subarray(0, 60)
  // a count above the limit, built by hand (signBundle refuses it)
  const w = new Writer().u8(SIGNED_BUNDLE_VERSION).raw(client.publicKeyRaw).u64(10).u32(MAX_BUNDLE_COMMANDS + 1)
  const tooMany = w.finish()
  const zero = new Writer().u8(SIGNED_BUNDLE_VERSION).raw(client.publicKeyRaw).u64(10).u32(0).raw(new Uint8Array(64)).finish()
  const huge = new Uint8Array(MAX_TX_BYTES + 1)
  huge[0] = SIGNED_BUNDLE_VERSION
  const out = p.apply(1, [forged, tampered, other, expired, truncated, tooMany, zero, huge])
  const errors = out.results.map(r => r.ok ? 'ok' : r.error)
  assert.match(errors[0], /bad transaction signature/)
  assert.match(errors[1], /bad transaction signature/)
  assert.match(errors[2], /bad transaction signature/)
  assert.match(errors[3], /expired/)
  assert.match(errors[4], /malformed signed bundle/)
  assert.match(errors[5], /1 to 1024 commands, got 1025/)
  assert.match(errors[6], /1 to 1024 commands, got 0/)
  assert.match(errors[7], /limit 65536/)
  assert.deepEqual(out.commandResults, out.results.map(() => null))
  for (const k of ['f', 't', 'o', 'e', 'm']) assert.equal(kv(p.disk, k), undefined)
  // the API's layout check refuses them too, and never throws
  for (const b of [truncated, tooMany, zero, huge]) assert.equal(decodeSigned(b).ok, false)
  assert.equal(decodeSignedBundle(new Uint8Array([SIGNED_BUNDLE_VERSION])).ok, false)
  assert.equal(checkSignedBundle(new Uint8Array(0), 1, 1024, auth).ok, false)
})

test('signBundle refuses what does not fit one bundle; bundleRuns splits a large request in order', () => {
  const cmds = Array.from({ length: 2500 }, (_, i) => kvPutTx(`k${i}`, 'v'))
  assert.throws(() => signBundle(cmds, client, 10, genesis), /1 to 1024 commands/)
  assert.throws(() => signBundle([], client, 10, genesis), /1 to 1024 commands/)
  const runs = bundleRuns(cmds)
  assert.deepEqual(runs.map(r => r.length), [1024, 1024, 452])
  assert.deepEqual(runs.flat(), cmds)
  const big = Array.from({ length: 5 }, (_, i) => kvPutTx(`b${i}`, new Uint8Array(30_000)))
  assert.throws(() => signBundle(big, client, 10, genesis), /limit 65536/)
  const bigRuns = bundleRuns(big)
  assert.deepEqual(bigRuns.map(r => r.length), [2, 2, 1])
  for (const r of bigRuns) assert.ok(signBundle(r, client, 10, genesis).byteLength <= MAX_TX_BYTES)
})

test('workloads submitted in one bundle get distinct ids', (t) => {
  const p = pair(t)
  t.after(() => p.disk.close())
  const spec = { name: 'w', cpu: 1, memMiB: 1, diskGiB: 0 }
  const out = p.apply(1, [signBundle([workloadSubmitTx(spec), workloadSubmitTx(spec)], client, 10, genesis)])
  assert.deepEqual(out.commandResults[0], [{ ok: true }, { ok: true }])
  assert.equal([...p.disk.entries()].filter(e => e.table === TABLE.workloads).length, 2)
})

test('a fixed workload of bundles and single txs gives one root on both backends and after a restart', (t) => {
  const p = pair(t)
  const txs = (h: number): Uint8Array[] => [
    signBundle(Array.from({ length: 50 }, (_, i) => kvPutTx(`h${h}-${i}`, `v${i}`)), client, 100, genesis),
    signTx(kvPutTx(`single-${h}`, 'x'), client, 100, genesis),
    signBundle([kvDelTx(`h${h - 1}-0`), kvDelTx('never')], client, 100, genesis)
  ]
  for (let h = 1; h <= 5; h++) p.apply(h, txs(h))
  const rootBefore = toHex(p.disk.head().stateRoot)
  p.disk.close()
  const reopened = Storage.open({ path: p.path })
  t.after(() => reopened.close())
  assert.equal(toHex(reopened.head().stateRoot), rootBefore)
  assert.equal(toHex(p.mem.head().stateRoot), rootBefore)
  // after the restart the replay index still refuses the old bundles, and both go on to equal roots
  const sm = new StateMachine(reopened, { auth })
  const again = sm.applyBatch({ height: 6, txs: txs(5), committedAt: 0 })
  assert.deepEqual(again.results.map(r => r.ok ? 'ok' : r.error), [DUPLICATE_ERROR, DUPLICATE_ERROR, DUPLICATE_ERROR])
  const next = txs(6)
  const a = sm.applyBatch({ height: 7, txs: next, committedAt: 0 })
  p.mem.applyBatch({ height: 6, txs: txs(5), committedAt: 0 })
  const b = p.mem.applyBatch({ height: 7, txs: next, committedAt: 0 })
  assert.equal(toHex(a.stateRoot), toHex(b.stateRoot))
  assert.deepEqual(a.commandResults, b.commandResults)
})
