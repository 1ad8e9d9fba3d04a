import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Mempool } from '../../../../src/consensus/core/mempool.ts'
import { EMPTY_BATCH, makeBatch, txKey } from '../../../../src/consensus/core/batch.ts'
import { MAX_TX_BYTES } from '../../../../src/consensus/core/limits.ts'

const tx = (i: number): Uint8Array => new TextEncoder().encode(`tx-${i}`)

test('dedups by tx id, keeps order, refuses clearly when full or oversized', () => {
  const pool = new Mempool({ maxTxs: 3 })
  assert.ok(pool.add(tx(1)).ok)
  const dup = pool.add(tx(1))
  assert.ok(!dup.ok && dup.reason === 'duplicate')
  pool.add(tx(2))
  pool.add(tx(3))
  const full = pool.add(tx(4))
  assert.ok(!full.ok && full.reason === 'full' && /mempool is full/.test(full.error))
  const big = pool.add(new Uint8Array(MAX_TX_BYTES + 1))
  assert.ok(!big.ok && big.reason === 'too-large' && /exceeds the limit/.test(big.error))
  assert.ok(!pool.add(new Uint8Array()).ok)
  assert.deepEqual(pool.take(2), [tx(1), tx(2)])
  assert.deepEqual(pool.take(5, (k) => k === txKey(tx(2))), [tx(1), tx(3)])
  assert.ok(pool.delete(txKey(tx(1))))
  assert.equal(pool.size, 2)
  assert.ok(pool.add(tx(4)).ok)
})

test('byte bound counts payload bytes', () => {
  const pool = new Mempool({ maxBytes: 10 })
  assert.ok(pool.add(new Uint8Array(6).fill(1)).ok)
  assert.equal(pool.add(new Uint8Array(6).fill(2)).ok, false)
  assert.equal(pool.bytes, 6)
})

test('batch id commits to content and order', () => {
  const a = makeBatch([tx(1), tx(2)])
  assert.deepEqual(a.id, makeBatch([tx(1), tx(2)]).id)
  assert.notDeepEqual(a.id, makeBatch([tx(2), tx(1)]).id)
  assert.notDeepEqual(a.id, EMPTY_BATCH.id)
})
