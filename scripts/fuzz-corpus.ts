// Writes the fuzz seed corpus under test/fixtures/fuzz/: real encodings of every decoder's input (consensus
// messages and WAL records cut from a short simulator run per protocol, transactions of every kind, a
// snapshot, state records, DWCP frames of every type). One hex string per line, a few KB per file.
// Run: npx node scripts/fuzz-corpus.ts
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FUZZ_PROTOCOLS, FUZZ_TPBFT_EVIDENCE, FUZZ_TX_AUTH, CORPUS_DIR } from '../test/fuzz/targets.ts'
import { MessageSigner } from '../src/consensus/core/message.ts'
import { TrustLedger } from '../src/consensus/tpbft/evidence.ts'
import type { Evidence } from '../src/consensus/tpbft/evidence.ts'
import type { ThreePhaseMessage } from '../src/consensus/three-phase/messages.ts'
import { FakeSigner } from '../src/crypto/signer.ts'
import { sha256 } from '../src/crypto/hash.ts'
import { runScenario } from '../src/consensus/sim/simulation.ts'
import { scenarioFor } from '../src/consensus/sim/scenario.ts'
import { decodeSigned } from '../src/consensus/core/message.ts'
import { decodeRecord } from '../src/consensus/core/record.ts'
import { kvDelTx, kvPutTx, nodeJoinTx, nodeLeaveTx, nodeUpdateTx, noopTx, workloadStatusTx, workloadSubmitTx } from '../src/state/tx.ts'
import { signTx } from '../src/state/signed-tx.ts'
import { MemoryBackend } from '../src/state/memory.ts'
import { StateMachine } from '../src/state/machine.ts'
import { exportSnapshot } from '../src/state/snapshot.ts'
import { encodeFrame, type Frame } from '../src/dwcp/wire/frames.ts'
import { newTransferId } from '../src/dwcp/amst/sender.ts'
import { encodeFrames } from '../src/net/framing.ts'
import { threePhaseCodec } from '../src/consensus/three-phase/codec.ts'

const threePhaseCodecForCorpus = threePhaseCodec('tpbft')

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const files: Record<string, string[]> = {}

/** Keeps the smallest two samples of each message type. */
function bucket (target: string, bytes: Uint8Array, type: string, keep: Map<string, Uint8Array[]>): void {
  const list = keep.get(type) ?? []
  list.push(bytes.slice())
  list.sort((a, b) => a.byteLength - b.byteLength)
  keep.set(type, list.slice(0, 2))
  void target
}

for (const [name, codec] of Object.entries(FUZZ_PROTOCOLS)) {
  const wire = new Map<string, Uint8Array[]>()
  const wal = new Map<string, Uint8Array[]>()
  runScenario(scenarioFor({ protocol: name as 'pbft', seed: 7, n: 4 }), {
    tap: {
      wire: b => { const d = decodeSigned(codec, b); if (d.ok) bucket(name, b, d.value.msg.type, wire) },
      wal: b => { const d = decodeRecord(codec, b); if (d.ok) bucket(name, b, d.value.msg.type, wal) }
    }
  })
  files[`consensus-${name}-message`] = [...wire.values()].flat().map(hex)
  files[`consensus-${name}-wal`] = [...wal.values()].flat().map(hex)
}

const node = { id: '12D3KooWexample', cpu: 4, memMiB: 8192, diskGiB: 100, addresses: ['/ip4/10.0.0.1/tcp/7400'], labels: { zone: 'a' } }
const txs = [kvPutTx('app/replicas', '3', { nonce: 'random' }), kvDelTx('app/replicas', { nonce: 'random' }), nodeJoinTx(node), nodeUpdateTx({ ...node, cpu: 8 }), nodeLeaveTx(node.id),
  workloadSubmitTx({ name: 'web', cpu: 1, memMiB: 512, diskGiB: 1 }), workloadStatusTx('w-1', 'running', 'placed on a'), noopTx()]
files['state-tx'] = txs.map(hex)
files['state-signed-tx'] = txs.map((tx, i) => hex(signTx(tx, FUZZ_TX_AUTH.key, 10 + i, FUZZ_TX_AUTH.auth.genesisHash)))

const backend = new MemoryBackend()
const sm = new StateMachine(backend)
sm.applyBatch({ height: 1, txs: [kvPutTx('a', '1'), kvPutTx('b', '2'), nodeJoinTx(node)] })
sm.applyBatch({ height: 2, txs: [workloadSubmitTx({ name: 'w', cpu: 1, memMiB: 1, diskGiB: 1 })] })
const snapshot = exportSnapshot(backend)
files['state-snapshot'] = [hex(snapshot)]
files["state-records"] = [...backend.entries()].filter(e => e.table === 2 || e.table === 3).map(e => `${e.table}:${hex(e.value)}`)

const id = newTransferId()
const h = new Uint8Array(32).fill(1)
const frames: Frame[] = [
  { type: 'offer', id, name: 'disk.img', size: 1 << 20, chunkSize: 1 << 18, fileHash: h, delta: null },
  { type: 'offer', id, name: 'disk.img', size: 1 << 20, chunkSize: 1 << 18, fileHash: h, delta: { baseName: 'old.img', targetSize: 1 << 21, targetHash: h } },
  { type: 'accept', id, chunkSize: 1 << 18, verified: Uint8Array.of(0b101) },
  { type: 'reject', id, reason: 'no space' },
  { type: 'join', id },
  { type: 'chunk', id, index: 3, codec: 'none', rawLength: 4, hash: h, payload: Uint8Array.of(1, 2, 3, 4) },
  { type: 'ack', id, index: 3 },
  { type: 'nack', id, index: 3, reason: 'bad hash' },
  { type: 'complete', id },
  { type: 'result', id, ok: true, hash: h, reason: '' },
  { type: 'sig-request', id, baseName: 'old.img', params: { minSize: 1024, avgSize: 4096, maxSize: 32768 } },
  { type: 'signature', id, found: true, params: { minSize: 1024, avgSize: 4096, maxSize: 32768 }, hashes: new Uint8Array(32) }
]
files['dwcp-frame'] = frames.map(f => hex(encodeFrame(f)))

files['net-framing'] = [hex(encodeFrames([Uint8Array.of(1, 2, 3), new Uint8Array(40).fill(7), new Uint8Array(0)])), hex(encodeFrames([new Uint8Array(300)]))]
const utf8 = (s: string): string => hex(Buffer.from(s, 'utf8'))
files['chaos-history'] = [utf8(JSON.stringify({ format: 'novacron-history/1', ops: [{ process: 'c1', key: 'k', f: 'write', value: '1', invoke: 0, complete: 5, outcome: 'ok', txId: 'ab', height: 3 }, { process: 'c2', key: 'k', f: 'read', value: '1', invoke: 6, complete: 9, outcome: 'ok' }, { process: 'c3', key: 'k', f: 'cas', expect: '1', value: '2', invoke: 7, complete: null, outcome: 'unknown' }], logs: { n1: [{ height: 3, batchId: 'b', stateRoot: 'r', txIds: ['ab'] }] } }))]
files['chaos-jepsen-log'] = [utf8('INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:invoke\t:write\t4\nINFO  jepsen.util - 0\t:ok\t:read\tnil\nINFO  jepsen.util - 1\t:info\t:write\t:timed-out\nINFO  jepsen.util - 2\t:invoke\t:cas\t[4 1]\nINFO  jepsen.util - 2\t:fail\t:cas\t[4 1]\n')]
files['config-genesis'] = [utf8(JSON.stringify({ version: 1, cluster: 'prod', protocol: 'pbft', createdAt: '2026-01-01T00:00:00.000Z', params: { batchSize: 256 }, validators: [{ peerId: '12D3KooWexample', publicKey: '00'.repeat(32), addr: '/ip4/10.0.0.1/tcp/7400' }] }))]

// T-PBFT trust evidence: one item of each kind (commit certificate, complaints, view-changes,
// equivocation), and a ledger with ratings, keys and a conviction.
const tpbftSign = (id: string, m: ThreePhaseMessage) => new MessageSigner(new FakeSigner(id), threePhaseCodecForCorpus, new Uint8Array(32)).sign(m)
const d = (x: number): Uint8Array => sha256(Uint8Array.of(x))
const tpbftCommit = (id: string, seq: number, x = seq): ReturnType<typeof tpbftSign> => tpbftSign(id, { protocol: 'tpbft', type: 'commit', view: 0, seq, digest: d(x) })
const items: Evidence<ThreePhaseMessage>[] = [
  { kind: 'commits', commits: ['a', 'b', 'c'].map((id) => tpbftCommit(id, 5)) },
  { kind: 'inner-complaint', complaints: ['a', 'b'].map((id) => tpbftSign(id, { protocol: 'tpbft', type: 'prepare', view: 1, seq: 2, digest: d(2) })) },
  { kind: 'view-change', viewChanges: ['c'].map((id) => tpbftSign(id, { protocol: 'tpbft', type: 'view-change', view: 1, stableSeq: 0, stableRoot: new Uint8Array(32), checkpointProof: [], prepared: [] })) },
  { kind: 'equivocation', a: tpbftCommit('d', 7, 1), b: tpbftCommit('d', 7, 2) }
]
files['tpbft-evidence'] = [hex(FUZZ_TPBFT_EVIDENCE.encode(items)), hex(FUZZ_TPBFT_EVIDENCE.encode(items.slice(3))), hex(FUZZ_TPBFT_EVIDENCE.encode([]))]
const trustLedger = new TrustLedger()
trustLedger.apply(0, { key: 'commit/5', ratings: [{ rater: 'a', ratee: 'b', kind: 'agree' }, { rater: 'b', ratee: 'a', kind: 'agree' }] })
trustLedger.apply(1, { key: 'inner/1/0/1', ratings: [{ rater: 'c', ratee: 'a', kind: 'inner' }, { rater: 'b', ratee: 'a', kind: 'view-change' }] })
trustLedger.apply(1, { key: 'convict/d', ratings: [], convict: 'd' })
files['tpbft-ledger'] = [hex(trustLedger.encode()), hex(new TrustLedger().encode())]

mkdirSync(CORPUS_DIR, { recursive: true })
for (const [name, lines] of Object.entries(files)) {
  writeFileSync(join(CORPUS_DIR, `${name}.hex`), lines.join('\n') + '\n')
  process.stdout.write(`${name}: ${lines.length} seeds\n`)
}
