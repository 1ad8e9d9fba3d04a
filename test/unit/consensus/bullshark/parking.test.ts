import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBullshark, BULLSHARK_TIMERS, bullsharkParams } from '../../../../src/consensus/bullshark/index.ts'
import type { Bullshark, BullsharkMessage, Header } from '../../../../src/consensus/bullshark/index.ts'
import { Parking } from '../../../../src/consensus/bullshark/parking.ts'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { GENESIS, ZERO, batchMsg, signerOf, txOf, validatorsOf } from './dag-builder.ts'

const validators = validatorsOf(4)
const params = { batchSize: 1, gcDepth: 8, checkpointInterval: 4 }
const limits = bullsharkParams(params)
const node = (): Bullshark => createBullshark({ self: 'v0', validators, signer: new FakeSigner('v0'), verifier: new FakeVerifier(), genesisHash: GENESIS, params })
const fake = (i: number, salt: number): Uint8Array => sha256(new Uint8Array([salt, i >> 16, (i >> 8) & 255, i & 255]))

/** A Byzantine v3's header over parents and a batch nobody holds. Reads of its `batches` are counted: any
 *  replica that re-examines a parked header has to look at what it still misses. */
function spam (round: number, i: number, reads: { n: number }): Signed<Header> {
  const batches = [fake(i, 2)]
  const s = signerOf('v3').sign<Header>({ protocol: 'bullshark', type: 'header', author: 'v3', round, parents: [fake(i, 1), fake(i, 3), fake(i, 4)], batches })
  Object.defineProperty(s.msg, 'batches', { get: () => { reads.n++; return batches } })
  return s
}

const sent = (fx: Effect<BullsharkMessage>[], type: string): number => fx.filter((e) => (e.kind === 'send' || e.kind === 'broadcast') && e.msg.msg.type === type).length

test('4,096 far-future and spammed headers: parking stays within the window and quota, and one event costs no rescan', () => {
  const b = node()
  b.start(ZERO, 0)
  const reads = { n: 0 }
  // Far-future rounds (most beyond maxRoundsAhead), then many distinct headers inside the window.
  for (let i = 0; i < 4096; i++) b.onMessage('v3', spam(2 + i, i, reads), 1)
  for (let i = 0; i < 4096; i++) b.onMessage('v3', spam(5, 10_000 + i, reads), 2)
  reads.n = 0
  // An unrelated batch and a retransmission tick: neither may walk the parked headers.
  b.onMessage('v1', batchMsg('v1', [txOf('unrelated')]), 3)
  const afterBatch = reads.n
  b.onTimer(BULLSHARK_TIMERS.resend, 1000)
  assert.equal(afterBatch, 0, `one unrelated batch re-examined ${afterBatch} parked headers`)
  assert.equal(reads.n, 0, `one resend tick re-examined ${reads.n} parked headers`)
  const held = b.status().resources?.held
  assert.ok(held !== undefined && held <= limits.parkPerAuthor, `parked ${String(held)}, quota ${limits.parkPerAuthor}`)
  assert.equal(b.status().resources?.wastedScans, 0)
})

test('a parked header is voted for once the batch it waited for arrives, and far-future ones are refused', () => {
  const b = node()
  b.start(ZERO, 0)
  const txs = [txOf('payload')]
  const h = signerOf('v1').sign<Header>({ protocol: 'bullshark', type: 'header', author: 'v1', round: 1, parents: [], batches: [makeBatch(txs).id] })
  const parked = b.onMessage('v1', h, 1)
  assert.equal(sent(parked, 'vote'), 0)
  assert.equal(sent(parked, 'fetch'), 1, 'the missing batch is fetched')
  assert.equal(b.status().resources?.held, 1)
  assert.equal(sent(b.onMessage('v1', batchMsg('v1', txs), 2), 'vote'), 1, 'the batch unblocks the header')
  assert.equal(b.status().resources?.held, 0)
  const far = b.onMessage('v2', signerOf('v2').sign<Header>({ protocol: 'bullshark', type: 'header', author: 'v2', round: 2 + limits.maxRoundsAhead, parents: [fake(1, 1)], batches: [] }), 3)
  assert.ok(far.some((e) => e.kind === 'log' && e.event.type === 'invalid-message'))
  assert.equal(sent(far, 'fetch'), 0, 'nothing is fetched for a refused header')
  assert.equal(b.status().resources?.held, 0)
})

test('parking: per-author quota keeps the lowest rounds, the index wakes only the waiters of a digest', () => {
  const p = new Parking<string>(3)
  for (let r = 10; r > 0; r--) p.park(`h${r}`, 'a', r, `h${r}`, { certs: [fake(r, 9)], batches: [] })
  assert.equal(p.size, 3)
  assert.ok(p.has('h1') && p.has('h2') && p.has('h3') && !p.has('h4'))
  assert.equal(p.park('h11', 'a', 11, 'h11', { certs: [], batches: [] }), null, 'a higher round than all held is refused when full')
  assert.ok(p.park('other', 'b', 50, 'other', { certs: [fake(2, 9)], batches: [] }) !== null, 'another author has its own quota')
  assert.deepEqual(p.park('again', 'b', 51, 'again', { certs: [fake(2, 9)], batches: [] }), { certs: [], batches: [] }, 'a digest already wanted is not fetched twice')
  assert.equal(p.takeReady(), undefined)
  p.arrived(toHex(fake(2, 9)))
  const woken = [p.takeReady(), p.takeReady(), p.takeReady(), p.takeReady()]
  assert.deepEqual(woken, ['h2', 'other', 'again', undefined])
  p.dropAtOrBelow(1)
  assert.equal(p.size, 1)
  assert.equal(p.wanted().certs.length, 1)
})
