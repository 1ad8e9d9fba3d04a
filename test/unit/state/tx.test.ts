import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeTx, encodeTx, kvPutTx, noopTx, txId, TxValidationError } from '../../../src/state/tx.ts'
import type { Tx } from '../../../src/state/tx.ts'
import { MAX_KEY_BYTES, MAX_TX_BYTES, MAX_VALUE_BYTES } from '../../../src/state/limits.ts'

const samples: Tx[] = [
  { type: 'kv.put', key: 'config/a', value: new Uint8Array([0, 1, 255]) },
  { type: 'kv.put', key: 'ключ', value: new Uint8Array(0), nonce: new Uint8Array([9, 9]) },
  { type: 'kv.del', key: 'x' },
  { type: 'node.join', node: { id: '12D3KooW', cpu: 4, memMiB: 8192, diskGiB: 100, addresses: ['/ip4/1.2.3.4/tcp/1'], labels: { b: '2', a: '1', '😀': 'x' } } },
  { type: 'node.update', node: { id: 'n', cpu: 0, memMiB: 0, diskGiB: 0, addresses: [], labels: {} } },
  { type: 'node.leave', id: 'n' },
  { type: 'workload.submit', spec: { name: 'vm', cpu: 2, memMiB: 4096, diskGiB: 20 } },
  { type: 'workload.status', id: 'abc', status: 'failed', reason: 'oom' },
  { type: 'noop' },
  { type: 'noop', nonce: new Uint8Array(16).fill(7) },
  { type: 'workload.submit', spec: { name: 'batch', cpu: 1, memMiB: 512, diskGiB: 0, durationS: 3600 } },
  { type: 'node.heartbeat', id: 'n', nonce: new Uint8Array([1]) },
  { type: 'workload.place', id: 'abc', node: 'n' }
]

test('every transaction kind round-trips and re-encodes to the same bytes', () => {
  for (const tx of samples) {
    const bytes = encodeTx(tx)
    const back = decodeTx(bytes)
    assert.ok(back.ok, `${tx.type}: ${back.ok ? '' : back.error}`)
    assert.deepEqual(encodeTx(back.value), bytes)
    assert.equal(back.value.type, tx.type)
  }
})

test('noop: wire code 8 after the header, a random nonce unless one is given', () => {
  assert.deepEqual([...noopTx({})], [1, 8, 0])
  assert.deepEqual([...noopTx({ nonce: new Uint8Array([5]) })], [1, 8, 1, 5])
  assert.notDeepEqual(txId(noopTx()), txId(noopTx()))
  assert.equal(noopTx().length, 3 + 16)
  assert.match((decodeTx(new Uint8Array([1, 8, 0, 0])) as { error: string }).error, /trailing/)
})

test('label order does not change the encoding', () => {
  const a = encodeTx({ type: 'node.join', node: { id: 'n', cpu: 1, memMiB: 1, diskGiB: 1, addresses: [], labels: { x: '1', y: '2' } } })
  const b = encodeTx({ type: 'node.join', node: { id: 'n', cpu: 1, memMiB: 1, diskGiB: 1, addresses: [], labels: { y: '2', x: '1' } } })
  assert.deepEqual(a, b)
})

test('the nonce makes identical commands distinct transactions', () => {
  assert.deepEqual(txId(kvPutTx('k', 'v')), txId(kvPutTx('k', 'v')))
  assert.notDeepEqual(txId(kvPutTx('k', 'v', { nonce: 'random' })), txId(kvPutTx('k', 'v', { nonce: 'random' })))
  assert.equal(txId(kvPutTx('k', 'v')).length, 32)
})

test('limits are enforced with clear errors when encoding', () => {
  assert.throws(() => kvPutTx('', 'v'), { name: 'TxValidationError', message: /key must not be empty/ })
  assert.throws(() => kvPutTx('k'.repeat(MAX_KEY_BYTES + 1), 'v'), /key is 257 bytes, limit 256/)
  assert.throws(() => kvPutTx('k', new Uint8Array(MAX_VALUE_BYTES + 1)), TxValidationError)
  assert.throws(() => kvPutTx('\ud800', 'v'), /well-formed/)
  assert.throws(() => encodeTx({ type: 'workload.submit', spec: { name: 'x', cpu: -1, memMiB: 1, diskGiB: 1 } }), /cpu must be an integer/)
  assert.throws(() => encodeTx({ type: 'nope' } as unknown as Tx), /unknown transaction type/)
  assert.ok(kvPutTx('k', new Uint8Array(MAX_VALUE_BYTES)).length <= MAX_TX_BYTES)
})

test('garbage, truncated, oversized and non-canonical input is an error, never a throw', () => {
  const good = encodeTx(samples[3])
  for (let cut = 0; cut < good.length; cut++) {
    const r = decodeTx(good.subarray(0, cut))
    assert.equal(r.ok, false, `prefix of ${cut} bytes`)
  }
  assert.match((decodeTx(new Uint8Array([...good, 0])) as { error: string }).error, /trailing/)
  assert.match((decodeTx(new Uint8Array(MAX_TX_BYTES + 1)) as { error: string }).error, /limit 65536/)
  assert.match((decodeTx(new Uint8Array([2, 1, 0])) as { error: string }).error, /unsupported transaction version 2/)
  assert.equal(decodeTx('x' as unknown as Uint8Array).ok, false)
  // a 4 GiB length prefix is refused before anything is allocated
  assert.match((decodeTx(new Uint8Array([1, 1, 0, 0, 1, 0x6b, 0xff, 0xff, 0xff, 0xff])) as { error: string }).error, /limit/)
  // labels out of order are not canonical
  const swapped = Buffer.from(encodeTx({ type: 'node.join', node: { id: 'n', cpu: 1, memMiB: 1, diskGiB: 1, addresses: [], labels: { a: '1', b: '2' } } }))
  const i = swapped.indexOf(Buffer.from([0, 1, 0x61]))
  swapped[i + 2] = 0x63 // 'a' -> 'c', now after 'b'
  assert.match((decodeTx(swapped) as { error: string }).error, /ascending/)
  // invalid UTF-8
  assert.match((decodeTx(new Uint8Array([1, 2, 0, 0, 1, 0xff])) as { error: string }).error, /UTF-8/)
})

test('random bytes never throw and whatever decodes re-encodes identically', () => {
  let seed = 1
  const rnd = (): number => { seed = (seed * 16807) % 2147483647; return seed }
  for (let n = 0; n < 3000; n++) {
    const len = rnd() % 40
    const b = new Uint8Array(len)
    for (let i = 0; i < len; i++) b[i] = rnd() % 256
    if (len > 1) { b[0] = 1; b[1] = 1 + (rnd() % 7) }
    const r = decodeTx(b)
    if (r.ok) assert.deepEqual(encodeTx(r.value), b)
  }
})

test('a workload duration has one encoding: zero is left out, an explicit zero is refused', () => {
  const without = encodeTx({ type: 'workload.submit', spec: { name: 'w', cpu: 1, memMiB: 1, diskGiB: 0 } })
  assert.deepEqual(encodeTx({ type: 'workload.submit', spec: { name: 'w', cpu: 1, memMiB: 1, diskGiB: 0, durationS: 0 } }), without)
  const explicitZero = new Uint8Array([...without, 0, 0, 0, 0])
  const res = decodeTx(explicitZero)
  assert.equal(res.ok, false)
  assert.match((res as { error: string }).error, /zero duration/)
  assert.throws(() => encodeTx({ type: 'workload.submit', spec: { name: 'w', cpu: 1, memMiB: 1, diskGiB: 0, durationS: 1.5 } }), /durationS must be an integer/)
  assert.throws(() => encodeTx({ type: 'workload.place', id: 'w', node: '' }), /node id must not be empty/)
})
