// Backups: built from a node's storage (checkpoint snapshot + the log after it), verified without trust
// (a flipped byte anywhere is refused), and restored into a fresh data dir at the same height and root.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StateMachine, Storage, kvPutTx, toHex } from '../../../src/state/index.ts'
import { GENESIS_VERSION, genesisHash, peerIdFromPublicKey, type Genesis } from '../../../src/config/genesis.ts'
import { signTx } from '../../../src/state/signed-tx.ts'
import { generateEd25519 } from '../../../src/crypto/ed25519.ts'
import { fromHex } from '../../../src/crypto/index.ts'
import { txAuthFor } from '../../../src/node/tx-auth.ts'
import { genesisParams } from '../../../src/node/protocols.ts'
import { createBackup, restoreInto, signingBound, verifyBackup, type BackupFile } from '../../../src/node/backup.ts'
import type { NovacronError } from '../../../src/config/errors.ts'

const genesis: Genesis = {
  version: GENESIS_VERSION,
  cluster: 'unit',
  protocol: 'pbft',
  createdAt: '2026-01-01T00:00:00.000Z',
  params: { ...genesisParams('pbft', []), checkpointInterval: 4 },
  validators: [1, 2, 3, 4].map(i => ({ peerId: peerIdFromPublicKey(`0${i}`.repeat(32)), publicKey: `0${i}`.repeat(32), addr: `/ip4/127.0.0.1/tcp/${7400 + i}` }))
}

function withStorage (fn: (storage: Storage, dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-backup-'))
    const storage = Storage.open({ path: join(dir, 'state.db') })
    try { await fn(storage, dir) } finally { storage.close(); rmSync(dir, { recursive: true, force: true }) }
  }
}

const client = generateEd25519()
const signed = (tx: Uint8Array, h: number): Uint8Array => signTx(tx, client, h, fromHex(genesisHash(genesis)))

/** Signed client writes, applied the way a node of this genesis applies them (so a replay checks signatures). */
function fill (storage: Storage, batches: number): void {
  const machine = new StateMachine(storage, { auth: txAuthFor(genesis, genesisHash(genesis)) })
  for (let h = 1; h <= batches; h++) {
    const out = machine.applyBatch({ height: h, txs: [signed(kvPutTx(`k${h}`, `v${h}`, { nonce: 'random' }), h), signed(kvPutTx('same', String(h), { nonce: 'random' }), h)] })
    assert.ok(out.results.every(r => r.ok), JSON.stringify(out.results))
    if (h % 4 === 0) storage.saveSnapshot()
  }
}

const copy = (f: BackupFile): BackupFile => JSON.parse(JSON.stringify(f)) as BackupFile

test('a backup is the latest checkpoint snapshot plus the log after it, and it verifies', withStorage(storage => {
  fill(storage, 10)
  const backup = createBackup({ storage, genesis, nodeId: genesis.validators[0].peerId, consensus: { stableCheckpoint: 8 } })
  assert.deepEqual([backup.height, backup.snapshot.height, backup.log.map(b => b.height)], [10, 8, [9, 10]])
  assert.equal(backup.stateRoot, toHex(storage.head().stateRoot))
  assert.deepEqual(backup.certified, { height: 8, stateRoot: backup.snapshot.stateRoot })
  const { summary } = verifyBackup(copy(backup))
  assert.deepEqual([summary.height, summary.snapshotHeight, summary.logBatches], [10, 8, 2])
  assert.deepEqual(signingBound(backup), { height: 10 + 16, round: null })
}))

test('before any checkpoint the backup is the state at the head itself', withStorage(storage => {
  fill(storage, 3)
  const backup = createBackup({ storage, genesis, nodeId: 'x', consensus: null })
  assert.deepEqual([backup.snapshot.height, backup.log.length, backup.certified], [3, 0, null])
  verifyBackup(backup)
}))

test('a damaged or edited backup is refused, naming why', withStorage(storage => {
  fill(storage, 10)
  const good = createBackup({ storage, genesis, nodeId: 'x', consensus: { stableCheckpoint: 8 } })
  const refused = (f: unknown, why: RegExp): void => assert.throws(() => verifyBackup(f), (e: NovacronError) => e.kind === 'failure' && why.test(e.message), String(why))
  refused(null, /JSON object/)
  refused({ ...good, format: 'tarball' }, /format/)
  refused({ ...good, version: 2 }, /version/)
  refused({ ...copy(good), height: 11 }, /checksum/)
  // Edits that keep the checksum consistent are caught by the content checks themselves.
  const reseal = (f: BackupFile): BackupFile => {
    const { sha256: _s, ...doc } = f
    return { ...f, sha256: createHashOf(doc) }
  }
  const badRoot = copy(good); badRoot.log[1].stateRoot = '00'.repeat(32)
  refused(reseal(badRoot), /replaying batch 10/)
  const badTx = copy(good); badTx.log[0].txs[0] = Buffer.from(kvPutTx('k9', 'forged', { nonce: 'random' })).toString('base64')
  refused(reseal(badTx), /replaying batch 9/)
  const badSnap = copy(good); const bytes = Buffer.from(badSnap.snapshot.bytes, 'base64'); bytes[bytes.length - 1] ^= 1; badSnap.snapshot.bytes = bytes.toString('base64')
  refused(reseal(badSnap), /snapshot/)
  const badGenesis = copy(good); badGenesis.genesis.cluster = 'other'
  refused(reseal(badGenesis), /genesis/)
  const gap = copy(good); gap.log.shift()
  refused(reseal(gap), /out of order/)
}))

test('restore seeds a fresh data dir at the same height and root, and refuses one that holds state', withStorage(async (storage, dir) => {
  fill(storage, 10)
  const verified = verifyBackup(createBackup({ storage, genesis, nodeId: 'x', consensus: { stableCheckpoint: 8 } }))
  const target = join(dir, 'restored')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(target)
  const restored = await restoreInto(target, verified)
  assert.deepEqual(restored, { height: 10, stateRoot: toHex(storage.head().stateRoot) })
  const reopened = Storage.open({ path: join(target, 'state.db') })
  try {
    assert.equal(Buffer.from(reopened.kvGet('same').value ?? []).toString(), '10')
    assert.equal(reopened.getBatch(10)?.txs.length, 2, 'the log suffix is in the restored log')
  } finally { reopened.close() }
  await assert.rejects(restoreInto(target, verified), (e: NovacronError) => e.kind === 'config' && /already holds state/.test(e.message))
}))

function createHashOf (doc: unknown): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(JSON.stringify(doc)).digest('hex')
}
