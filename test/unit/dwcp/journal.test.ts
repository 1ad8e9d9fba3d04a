import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFile, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ChunkJournal, readJournal } from '../../../src/dwcp/amst/journal.ts'
import type { OfferDescription } from '../../../src/dwcp/amst/journal.ts'
import { DEFAULT_LIMITS } from '../../../src/dwcp/wire/limits.ts'
import { tempDir } from './fixtures.ts'

const offer: OfferDescription = { name: 'disk.img', size: 1 << 20, chunkSize: 65536, fileHash: new Uint8Array(32).fill(1), delta: null }

test('the journal records chunks in group commits and survives a torn last record', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'j')
  const data = await open(join(dir, 'data'), 'w+')
  const j = await ChunkJournal.open(path, offer, data, { fresh: true, durable: true })
  await Promise.all([3, 1, 4, 15].map(async (i) => await j.record(i)))
  await j.close()
  await data.close()
  await appendFile(path, Buffer.from([0, 0])) // a crash mid-append
  const r = await readJournal(path, DEFAULT_LIMITS)
  assert.ok(r.ok)
  assert.deepEqual(r.value.indices.sort((a, b) => a - b), [1, 3, 4, 15])
  assert.equal(r.value.offer.name, 'disk.img')
  assert.equal(r.value.offer.chunkSize, 65536)
})

test('a journal that is not one is ignored', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'j')
  assert.equal((await readJournal(path, DEFAULT_LIMITS)).ok, false)
  await writeFile(path, 'NCJ1\u0000\u0000\u0010\u0000garbage')
  assert.equal((await readJournal(path, DEFAULT_LIMITS)).ok, false)
  await writeFile(path, 'hello world')
  assert.equal((await readJournal(path, DEFAULT_LIMITS)).ok, false)
})
