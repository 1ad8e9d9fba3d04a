// State transfer as a snapshot plus the committed log after it (src/state/transfer.ts): installs exactly
// the certified root, refuses anything else with nothing changed; and a fixed workload reaches the same
// roots on every backend and across a restart.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import { MemoryBackend } from '../../../src/state/memory.ts'
import { kvDelTx, kvPutTx } from '../../../src/state/tx.ts'
import { toHex } from '../../../src/state/bytes.ts'
import { SnapshotError } from '../../../src/state/snapshot.ts'
import { decodeTransfer, encodeTransfer, installTransfer } from '../../../src/state/transfer.ts'
import { tempDbPath } from './helpers.ts'

/** A fixed workload: deterministic keys, values and nonces, so every run and backend sees the same bytes. */
function workload (batches: number, perBatch: number): Uint8Array[][] {
  let x = 42
  const next = (): number => { x = (x * 1103515245 + 12345) % 2147483648; return x }
  return Array.from({ length: batches }, (_, b) => Array.from({ length: perBatch }, (_, i) => {
    const key = `k${next() % 40}`
    const nonce = new Uint8Array(16).fill((b * perBatch + i) % 251)
    return next() % 5 === 0 ? kvDelTx(key, { nonce }) : kvPutTx(key, `v${next() % 1000}`, { nonce })
  }))
}

function open (t: TestContext): Storage {
  const s = Storage.open({ path: tempDbPath(t) })
  t.after(() => s.close())
  return s
}

/** A node's storage at height `top` with a background snapshot kept at `snapshotAt` (0: none). */
async function served (t: TestContext, top: number, snapshotAt: number): Promise<{ s: Storage, roots: string[], txs: Uint8Array[][] }> {
  const s = open(t)
  const sm = new StateMachine(s)
  const txs = workload(top + 4, 15)
  const roots: string[] = ['']
  for (let h = 1; h <= top; h++) {
    roots.push(toHex(sm.applyBatch({ height: h, txs: txs[h - 1], committedAt: h }).stateRoot))
    if (h === snapshotAt) {
      const { info, bytes } = await s.exportSnapshotInBackground(7)
      assert.equal(info.height, snapshotAt)
      s.storeSnapshot(info, bytes)
    }
  }
  return { s, roots, txs }
}

test('a snapshot plus the log after it installs the certified root, and the node goes on from there', async (t) => {
  const { s, roots, txs } = await served(t, 12, 5)
  const transfer = s.transferFor(10)
  assert.ok(transfer !== null)
  assert.equal(transfer.snapshotHeight, 5)
  assert.equal(transfer.batches, 5)
  const b = open(t)
  const done = installTransfer(b, transfer.bytes, { height: 10, stateRoot: Buffer.from(roots[10], 'hex') })
  assert.equal(done.height, 10)
  assert.equal(toHex(b.head().stateRoot), roots[10])
  const sm = new StateMachine(b)
  for (let h = 11; h <= 12; h++) assert.equal(toHex(sm.applyBatch({ height: h, txs: txs[h - 1] }).stateRoot), roots[h], `height ${h}`)
})

test('without a snapshot the log from height 1 serves; at the head a bare export serves (what earlier releases sent)', async (t) => {
  const { s, roots } = await served(t, 8, 0)
  const fromLog = s.transferFor(6)
  assert.ok(fromLog !== null)
  assert.equal(fromLog.snapshotHeight, 0)
  const b = open(t)
  installTransfer(b, fromLog.bytes, { height: 6, stateRoot: Buffer.from(roots[6], 'hex') })
  assert.equal(toHex(b.head().stateRoot), roots[6])
  const c = open(t)
  installTransfer(c, s.exportSnapshot(), { height: 8, stateRoot: Buffer.from(roots[8], 'hex') })
  assert.equal(toHex(c.head().stateRoot), roots[8])
  assert.equal(s.transferFor(9), null, 'nothing beyond the head')
})

test('a tampered batch, a wrong certified root, a short suffix or garbage is refused with nothing changed', async (t) => {
  const { s, roots } = await served(t, 10, 4)
  const good = s.transferFor(9)!
  const certified = { height: 9, stateRoot: Buffer.from(roots[9], 'hex') }
  const decoded = decodeTransfer(good.bytes)
  assert.ok(decoded.ok)
  const b = open(t)
  const before = toHex(b.head().stateRoot)
  // one byte of one transaction changed: the replay reaches another root
  const tampered = decoded.value.batches.map((x) => ({ ...x, txs: x.txs.map((tx) => tx.slice()) }))
  const tx = tampered[2].txs[3]
  tx[tx.length - 1] ^= 1
  assert.throws(() => installTransfer(b, encodeTransfer(decoded.value.snapshot, tampered), certified), SnapshotError)
  // a batch left out
  assert.throws(() => installTransfer(b, encodeTransfer(decoded.value.snapshot, decoded.value.batches.slice(0, -1)), certified), /do not reach height 9/)
  // heights out of order
  const swapped = [...decoded.value.batches]
  ;[swapped[0], swapped[1]] = [swapped[1], swapped[0]]
  assert.throws(() => installTransfer(b, encodeTransfer(decoded.value.snapshot, swapped), certified), /expected 5/)
  assert.throws(() => installTransfer(b, good.bytes, { height: 9, stateRoot: Buffer.from(roots[8], 'hex') }), /certified root/)
  for (const junk of [new Uint8Array(0), good.bytes.subarray(0, good.bytes.length - 3), Buffer.from('NCXFER\x01garbage'), new Uint8Array(64).fill(0xff)]) {
    assert.throws(() => installTransfer(b, junk, certified), SnapshotError)
  }
  assert.equal(b.head().height, 0)
  assert.equal(toHex(b.head().stateRoot), before)
})

test('the state root of a fixed workload is the same on every backend and across a restart', (t) => {
  const txs = workload(20, 25)
  const path = tempDbPath(t)
  const mem = new StateMachine(new MemoryBackend())
  const memRoots = txs.map((batch, i) => toHex(mem.applyBatch({ height: i + 1, txs: batch }).stateRoot))
  let s = Storage.open({ path })
  let disk = new StateMachine(s)
  for (let h = 1; h <= 10; h++) assert.equal(toHex(disk.applyBatch({ height: h, txs: txs[h - 1] }).stateRoot), memRoots[h - 1], `height ${h}`)
  s.close()
  s = Storage.open({ path })
  t.after(() => s.close())
  assert.equal(toHex(s.head().stateRoot), memRoots[9], 'the root read back after a restart')
  disk = new StateMachine(s)
  for (let h = 11; h <= 20; h++) assert.equal(toHex(disk.applyBatch({ height: h, txs: txs[h - 1] }).stateRoot), memRoots[h - 1], `height ${h} after the restart`)
})

test('a background snapshot is the state at the height it started from, while batches keep committing', async (t) => {
  const s = open(t)
  const sm = new StateMachine(s)
  const txs = workload(30, 20)
  const roots: string[] = ['']
  for (let h = 1; h <= 10; h++) roots.push(toHex(sm.applyBatch({ height: h, txs: txs[h - 1] }).stateRoot))
  // three rows per turn: the export spans many turns, and batches 11..30 commit in between
  const exporting = s.exportSnapshotInBackground(3)
  for (let h = 11; h <= 30; h++) {
    roots.push(toHex(sm.applyBatch({ height: h, txs: txs[h - 1] }).stateRoot))
    await new Promise((resolve) => setImmediate(resolve))
  }
  const { info, bytes } = await exporting
  assert.equal(info.height, 10)
  assert.equal(toHex(info.stateRoot), roots[10])
  const b = open(t)
  // decodeSnapshot re-hashes every entry: the bytes hold exactly the state at height 10
  installTransfer(b, bytes, { height: 10, stateRoot: Buffer.from(roots[10], 'hex') })
  assert.equal(toHex(b.head().stateRoot), roots[10])
})
