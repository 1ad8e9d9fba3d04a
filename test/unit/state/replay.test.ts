// Replay protection: a tx id applied within the window is skipped, identically on every backend and on
// a node that joined by snapshot, and the remembered ids are covered by the root.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Storage } from '../../../src/state/storage/storage.ts'
import { StateMachine } from '../../../src/state/machine.ts'
import type { BatchOutcome } from '../../../src/state/machine.ts'
import { MemoryBackend } from '../../../src/state/memory.ts'
import type { CommittedBatch, StateBackend } from '../../../src/state/backend.ts'
import { decodeSnapshot, encodeSnapshot, exportSnapshot, installSnapshot, SnapshotError } from '../../../src/state/snapshot.ts'
import { kvDelTx, kvPutTx, noopTx, txId } from '../../../src/state/tx.ts'
import { TABLE } from '../../../src/state/records.ts'
import { LtHash } from '../../../src/state/lthash.ts'
import { DUPLICATE_ERROR, REPLAY_CHUNK_IDS, replayKey } from '../../../src/state/replay.ts'
import { toHex, utf8Bytes } from '../../../src/state/bytes.ts'
import { tempDbPath } from './helpers.ts'

const DUP = { ok: false, error: DUPLICATE_ERROR }
const hex = (b: Uint8Array): string => toHex(b)
const text = (b: Uint8Array | null): string | null => b === null ? null : Buffer.from(b).toString()

function storage (t: TestContext, name = 'state.db'): Storage {
  const s = Storage.open({ path: tempDbPath(t, name) })
  t.after(() => s.close())
  return s
}

/** Applies the same batch on every machine; asserts equal results and roots, returns the first outcome. */
function applyAll (machines: StateMachine[], height: number, txs: Uint8Array[]): BatchOutcome {
  const [first, ...rest] = machines.map((m) => m.applyBatch({ height, txs, committedAt: 0 }))
  for (const o of rest) {
    assert.deepEqual(o.results, first.results, `results at height ${height}`)
    assert.equal(hex(o.stateRoot), hex(first.stateRoot), `root at height ${height}`)
  }
  return first
}

/** The root of the state as it would be had the duplicates never been proposed. */
function withoutDuplicates (txs: Uint8Array[], out: BatchOutcome): Uint8Array[] {
  return txs.filter((_, i) => out.results[i].ok || (out.results[i] as { error: string }).error !== DUPLICATE_ERROR)
}

test('a tx re-proposed within the window is skipped on MemoryBackend and Storage alike, changing nothing else; after the window it applies again', (t) => {
  const W = 4
  const mem = new StateMachine(new MemoryBackend(), { replayWindow: W })
  const disk = storage(t)
  const sm = new StateMachine(disk, { replayWindow: W })
  const control = new StateMachine(new MemoryBackend(), { replayWindow: W })
  const p = kvPutTx('a', '1')
  const q = kvPutTx('a', '2')
  const missing = kvDelTx('missing')
  const b = kvPutTx('b', '1')
  const noop = noopTx({ nonce: new Uint8Array([3]) })
  const heights: Array<[Uint8Array[], Array<{ ok: boolean, error?: string }>]> = [
    [[p, missing], [{ ok: true }, { ok: false, error: 'key "missing" not found' }]],
    [[q, missing], [{ ok: true }, DUP]], // an error result is remembered too
    [[p, noop], [DUP, { ok: true }]], // a stays 2
    [[b, b, p], [{ ok: true }, DUP, DUP]], // a repeat within one batch; p still within h1 + W - 1
    [[p], [{ ok: true }]] // h1's ids expired while applying h5: p applies again, a = 1
  ]
  heights.forEach(([txs, expected], i) => {
    const h = i + 1
    const out = applyAll([mem, sm], h, txs)
    assert.deepEqual(out.results, expected, `height ${h}`)
    const c = control.applyBatch({ height: h, txs: withoutDuplicates(txs, out), committedAt: 0 })
    assert.equal(hex(c.stateRoot), hex(out.stateRoot), `a skipped duplicate changes nothing (height ${h})`)
    if (h === 3) assert.equal(text(disk.kvGet('a').value), '2')
    if (h === 4) assert.equal(sm.isDuplicate(txId(q)), true, 'q (h2) would be skipped at h5')
  })
  assert.equal(text(disk.kvGet('a').value), '1')
  assert.equal(sm.isDuplicate(txId(p)), true, 'remembered again from its second application')
  assert.equal(sm.isDuplicate(txId(q)), false, 'h2 expires while applying h6')
  assert.equal(disk.findTx(txId(p), 10)?.height, 5, 'the log shows the skipped duplicate too; findTx finds the newest')
})

/** 24 heights of fresh txs mixed with re-proposals of txs from 1..10 heights back: with window 6 the first
 * three (1, 3, 5 back) are duplicates, the last three (6, 7, 10 back) apply again. */
function workload (): Uint8Array[][] {
  const fresh: Uint8Array[][] = []
  const out: Uint8Array[][] = []
  for (let h = 1; h <= 24; h++) {
    fresh.push(Array.from({ length: 5 }, (_, i) => kvPutTx(`k${(h * 7 + i) % 11}`, `v${h}.${i}`)))
    const replays = [1, 3, 5, 6, 7, 10].filter((d) => h - d >= 1).map((d) => fresh[h - d - 1][d % 5])
    out.push([...replays.slice(0, 3), ...fresh[h - 1], ...replays.slice(3)])
  }
  return out
}

test('a node that installs a snapshot mid-window makes the same skip decisions as one that applied the log', (t) => {
  const W = 6
  const log = workload()
  const source = storage(t, 'source.db')
  const full = new StateMachine(source, { replayWindow: W })
  const joiner = new MemoryBackend()
  const late = new StateMachine(joiner, { replayWindow: W })
  late.applyBatch({ height: 1, txs: [kvPutTx('stale', 'x')] }) // the joiner's machine predates the install
  const SNAP_AT = 9
  let dups = 0
  let again = 0
  log.forEach((txs, i) => {
    const h = i + 1
    if (h <= SNAP_AT) {
      full.applyBatch({ height: h, txs })
      if (h === SNAP_AT) installSnapshot(joiner, source.exportSnapshot(), { height: h, stateRoot: source.head().stateRoot })
      return
    }
    const out = applyAll([full, late], h, txs)
    dups += out.results.slice(0, 3).filter((r) => !r.ok && r.error === DUPLICATE_ERROR).length
    again += out.results.slice(-3).filter((r) => r.ok).length
  })
  assert.equal(dups, 3 * (24 - SNAP_AT))
  assert.equal(again, 3 * (24 - SNAP_AT))
  assert.equal(hex(joiner.head().stateRoot), hex(source.head().stateRoot))
})

function populated (W: number): { be: MemoryBackend, bytes: Uint8Array } {
  const be = new MemoryBackend()
  const sm = new StateMachine(be, { replayWindow: W })
  sm.applyBatch({ height: 1, txs: [kvPutTx('a', '1'), kvPutTx('b', '2')] })
  sm.applyBatch({ height: 2, txs: [kvPutTx('c', '3')] })
  return { be, bytes: exportSnapshot(be) }
}

test('a snapshot that drops, alters or malforms a remembered id is refused', () => {
  const { be, bytes } = populated(8)
  const certified = { height: 2, stateRoot: be.head().stateRoot }
  const snap = decodeSnapshot(bytes)
  assert.ok(snap.ok)
  const { head, entries } = snap.value
  const replayAt = entries.findIndex((e) => e.table === TABLE.replay)
  assert.equal(entries[replayAt].value.length, 64, 'height 1 remembers two ids')
  const withRow = (value: Uint8Array | null): typeof entries => entries.flatMap((e, i) => i !== replayAt ? [e] : value === null ? [] : [{ ...e, value }])
  const forgeries = {
    'one id dropped': withRow(entries[replayAt].value.subarray(0, 32)),
    'a row dropped': withRow(null),
    'an id altered': withRow(Uint8Array.from(entries[replayAt].value, (x, i) => i === 5 ? x ^ 1 : x))
  }
  const dst = new MemoryBackend()
  for (const [what, forged] of Object.entries(forgeries)) {
    assert.throws(() => installSnapshot(dst, encodeSnapshot(head, forged), certified), /entries hash to .* snapshot claims/, `${what}, claiming the certified root`)
    const rehashed = new LtHash()
    for (const e of forged) rehashed.add(e.table, e.key, e.value)
    const selfConsistent = encodeSnapshot({ height: 2, stateRoot: rehashed.root(), vector: rehashed.bytes() }, forged)
    assert.throws(() => installSnapshot(dst, selfConsistent, certified), /differs from the certified root/, `${what}, with its own root`)
  }
  assert.throws(() => installSnapshot(dst, encodeSnapshot(head, withRow(new Uint8Array(31))), certified), (e: unknown) => e instanceof SnapshotError && /not 1\.\.2048 tx ids/.test(e.message))
  const v1 = Uint8Array.from(bytes)
  v1[6] = 1
  assert.throws(() => installSnapshot(dst, v1, certified), /unsupported snapshot version 1 \(this release reads 3\)/, 'a snapshot without replay rows')
  assert.equal(dst.head().height, 0)
  installSnapshot(dst, bytes, certified)
  assert.equal(hex(dst.head().stateRoot), hex(certified.stateRoot))
})

test('reopening Storage keeps the window', (t) => {
  const path = tempDbPath(t)
  const p = kvPutTx('a', '1')
  let s = Storage.open({ path })
  new StateMachine(s, { replayWindow: 4 }).applyBatch({ height: 1, txs: [p] })
  new StateMachine(s, { replayWindow: 4 }).applyBatch({ height: 2, txs: [] })
  s.close()
  s = Storage.open({ path })
  t.after(() => s.close())
  const mem = new StateMachine(new MemoryBackend(), { replayWindow: 4 })
  mem.applyBatch({ height: 1, txs: [p] })
  mem.applyBatch({ height: 2, txs: [] })
  const sm = new StateMachine(s, { replayWindow: 4 })
  assert.equal(sm.isDuplicate(txId(p)), true)
  assert.deepEqual(applyAll([sm, mem], 3, [p]).results, [DUP])
  applyAll([sm, mem], 4, [])
  assert.deepEqual(applyAll([sm, mem], 5, [p]).results, [{ ok: true }])
})

test('a batch of more ids than one row holds spans rows that expire together', () => {
  const be = new MemoryBackend()
  const sm = new StateMachine(be, { replayWindow: 2 })
  const txs = Array.from({ length: REPLAY_CHUNK_IDS + 5 }, (_, i) => noopTx({ nonce: utf8Bytes(`n${i}`) }))
  const ends = [txs[0], txs[REPLAY_CHUNK_IDS], txs.at(-1)!]
  sm.applyBatch({ height: 1, txs })
  assert.equal(be.readState(TABLE.replay, replayKey(1, 0))?.length, REPLAY_CHUNK_IDS * 32)
  assert.equal(be.readState(TABLE.replay, replayKey(1, 1))?.length, 5 * 32)
  assert.deepEqual(sm.applyBatch({ height: 2, txs: ends }).results, [DUP, DUP, DUP])
  assert.deepEqual(sm.applyBatch({ height: 3, txs: ends }).results, [{ ok: true }, { ok: true }, { ok: true }])
  assert.equal(be.readState(TABLE.replay, replayKey(1, 0)), undefined)
  assert.equal(be.readState(TABLE.replay, replayKey(1, 1)), undefined)
  const recomputed = new LtHash()
  for (const e of be.entries()) recomputed.add(e.table, e.key, e.value)
  assert.equal(hex(recomputed.root()), hex(be.head().stateRoot))
})

test('a noop commits with an ok result and writes nothing but its remembered id', () => {
  const be = new MemoryBackend()
  const sm = new StateMachine(be)
  sm.applyBatch({ height: 1, txs: [kvPutTx('a', '1')] })
  const out = sm.applyBatch({ height: 2, txs: [noopTx(), noopTx()] })
  assert.deepEqual(out.results, [{ ok: true }, { ok: true }])
  assert.deepEqual(be.log[1].writes.map((w) => w.table), [TABLE.replay])
})

class FailingOnce extends MemoryBackend {
  fail = true
  override commitBatch (batch: CommittedBatch): void {
    if (this.fail) { this.fail = false; throw new Error('disk full') }
    super.commitBatch(batch)
  }
}

test('a batch whose commit fails leaves the window as it was, so its retry applies', () => {
  const be: StateBackend = new FailingOnce()
  const sm = new StateMachine(be)
  const p = kvPutTx('a', '1')
  assert.throws(() => sm.applyBatch({ height: 1, txs: [p] }), /disk full/)
  assert.equal(sm.isDuplicate(txId(p)), false)
  assert.deepEqual(sm.applyBatch({ height: 1, txs: [p] }).results, [{ ok: true }])
  assert.equal(sm.isDuplicate(txId(p)), true)
})
