// T-PBFT's primary group on the engine: parameters refused with their reason, the view schedule (windows,
// then single primaries), certificates (only t shares from the view's group make a pre-prepare count), a
// member's one digest per slot across a restart, and the epoch-configuration checker of the simulator.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect, PersistedRecord } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'
import { checkEpochConfigs } from '../../../../src/consensus/sim/checkers.ts'
import type { NodeRecord } from '../../../../src/consensus/sim/checkers.ts'
import { createTpbftReplica, decodeCert, encodeCert, groupOf, thresholdOf, tpbftCodec, tpbftParams } from '../../../../src/consensus/tpbft/index.ts'
import type { GroupShare, TpbftMessage } from '../../../../src/consensus/tpbft/index.ts'
import type { FullPrePrepare } from '../../../../src/consensus/three-phase/messages.ts'

const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const GENESIS = sha256(new TextEncoder().encode('tpbft-group'))
const keys = (self: string) => ({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: GENESIS })
const signerOf = (id: string) => new MessageSigner<TpbftMessage>(new FakeSigner(id), tpbftCodec, GENESIS)

test('parameters are refused with the reason: unsafe thresholds, epochs off checkpoints, slow inner timeouts', () => {
  assert.equal(tpbftParams().coSignThreshold, 0)
  assert.throws(() => tpbftParams({ groupSize: 4, coSignThreshold: 2 }), /two certificates must share/)
  assert.throws(() => tpbftParams({ groupSize: 4, coSignThreshold: 5 }), /exceeds groupSize/)
  assert.throws(() => tpbftParams({ epochLength: 100, checkpointInterval: 64, watermarkWindow: 256 }), /multiple of checkpointInterval/)
  assert.throws(() => tpbftParams({ innerTimeoutMs: 1500, viewChangeTimeoutMs: 2000 }), /at most half/)
  assert.throws(() => tpbftParams({ groupSize: 0 }), /positive integer/)
  assert.equal(tpbftParams({ groupSize: 7, coSignThreshold: 5 }).coSignThreshold, 5)
})

test('views go through the windows, then single primaries (convicted skipped), then the windows again', () => {
  const config = { ranking: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], groups: [['a', 'b', 'c', 'd'], ['e', 'f', 'g', 'a']], fallback: ['a', 'b', 'c', 'd', 'e', 'f'] }
  assert.deepEqual(groupOf(config, 0), ['a', 'b', 'c', 'd'])
  assert.deepEqual(groupOf(config, 1), ['e', 'f', 'g', 'a'])
  assert.deepEqual([2, 3, 4, 5, 6, 7].map((v) => groupOf(config, v)), [['a'], ['b'], ['c'], ['d'], ['e'], ['f']])
  assert.deepEqual(groupOf(config, 8), ['a', 'b', 'c', 'd'])
  assert.equal(thresholdOf(4, 3), 3)
  assert.equal(thresholdOf(1, 3), 1)
  assert.equal(thresholdOf(7, 2), 4, 'never below a majority of the group')
})

/** A replica of `self` at view 0, started, with its own effects dropped. */
function started (self: string) {
  const r = createTpbftReplica(keys(self), { batchDelayMs: 0, checkpointInterval: 8, watermarkWindow: 32, epochLength: 64 })
  r.replica.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0)
  return r
}

function proposal (from: string, seq: number, tag = 'x'): Signed<FullPrePrepare> {
  const batch = makeBatch([new TextEncoder().encode(`${tag}/${seq}`)])
  return signerOf(from).sign({ protocol: 'tpbft', type: 'pre-prepare', view: 0, seq, digest: batch.id, batch } as TpbftMessage) as unknown as Signed<FullPrePrepare>
}

const share = (from: string, pp: Signed<FullPrePrepare>, digest = pp.msg.digest): Signed<GroupShare> =>
  signerOf(from).sign({ protocol: 'tpbft', type: 'group-share', view: 0, seq: pp.msg.seq, digest, acting: 0 }) as Signed<GroupShare>

const prepared = (fx: Effect<any>[]): boolean => fx.some((e) => (e.kind === 'broadcast' || e.kind === 'send') && e.msg.msg.type === 'prepare')

test('only a pre-prepare with t shares from its view\'s group is prepared', () => {
  const outsider = [...IDS].find((id) => !started('a').variant.group(0).includes(id)) as string
  const r = started(outsider)
  const group = r.variant.group(0)
  const acting = r.replica.status().primary as string
  assert.equal(acting, group[0])
  const t = r.variant.threshold(0)
  const pp = proposal(acting, 1)
  const send = (s: Signed<FullPrePrepare>) => r.replica.onMessage(acting, s as never, 10)
  assert.equal(prepared(send(pp)), false, 'no certificate: not prepared')
  const fromOutside = [...IDS].filter((id) => !group.includes(id)).slice(0, t)
  if (fromOutside.length >= t) assert.equal(prepared(send({ ...pp, msg: { ...pp.msg, cert: encodeCert(fromOutside.map((id) => share(id, pp))) } })), false, 'shares from outside the group')
  assert.equal(prepared(send({ ...pp, msg: { ...pp.msg, cert: encodeCert(group.slice(0, t - 1).map((id) => share(id, pp))) } })), false, 't - 1 shares')
  const wrongDigest = group.slice(0, t).map((id) => share(id, pp, sha256(pp.msg.digest)))
  assert.equal(prepared(send({ ...pp, msg: { ...pp.msg, cert: encodeCert(wrongDigest) } })), false, 'shares on another digest')
  const repeated = Array.from({ length: t }, () => share(group[0], pp))
  assert.equal(prepared(send({ ...pp, msg: { ...pp.msg, cert: encodeCert(repeated) } })), false, 'one member t times')
  assert.equal(prepared(send({ ...pp, msg: { ...pp.msg, cert: new Uint8Array([1, 2, 3]) } })), false, 'garbage certificate')
  assert.equal(prepared(send({ ...pp, msg: { ...pp.msg, cert: encodeCert(group.slice(0, t).map((id) => share(id, pp))) } })), true, 't shares from the group')
})

test('a certificate of more shares than a group can hold does not decode', () => {
  const pp = proposal('a', 1)
  const many = Array.from({ length: 65 }, (_, i) => share(IDS[i % IDS.length], pp))
  assert.throws(() => decodeCert(encodeCert(many)), /list|exceeds|most/i)
})

test('a member co-signs one digest per slot, persisted before its share leaves, also after a restart', () => {
  const probe = started('a')
  const group = probe.variant.group(0)
  const acting = group[0]
  const member = group[1]
  const r = started(member)
  const records: PersistedRecord<any>[] = []
  const fx = r.replica.onMessage(acting, proposal(acting, 1) as never, 10)
  const persistAt = fx.findIndex((e) => e.kind === 'persist' && (e.record.msg.type as string) === 'rec-share')
  const shareAt = fx.findIndex((e) => e.kind === 'send' && (e.msg.msg.type as string) === 'group-share')
  assert.ok(persistAt >= 0 && shareAt > persistAt, 'rec-share persisted before the share is sent')
  for (const e of fx) if (e.kind === 'persist') records.push(e.record)
  const other = r.replica.onMessage(acting, proposal(acting, 1, 'other') as never, 20)
  assert.ok(!other.some((e) => e.kind === 'send' && (e.msg.msg.type as string) === 'group-share'), 'no share for a second digest')
  const back = createTpbftReplica(keys(member), { batchDelayMs: 0, checkpointInterval: 8, watermarkWindow: 32, epochLength: 64 })
  back.replica.restore(records)
  back.replica.start({ seq: 0, stateRoot: new Uint8Array(32) }, 30)
  const again = back.replica.onMessage(acting, proposal(acting, 1, 'other') as never, 40)
  assert.ok(!again.some((e) => e.kind === 'send' && (e.msg.msg.type as string) === 'group-share'), 'restarted: still no share for a second digest')
  const same = back.replica.onMessage(acting, proposal(acting, 1) as never, 50)
  const resent = same.find((e) => e.kind === 'send' && (e.msg.msg.type as string) === 'group-share')
  const first = fx.find((e) => e.kind === 'send' && (e.msg.msg.type as string) === 'group-share')
  assert.ok(resent !== undefined && first !== undefined && resent.kind === 'send' && first.kind === 'send')
  assert.deepEqual(resent.msg.msg, first.msg.msg, 'the same share again, not a new one')
})

test('the epoch-configuration checker flags nodes that disagree, and a node that changed its mind', () => {
  const node = (index: number, configs: Array<[number, string]>, changes: NodeRecord['epochConfigChanges'] = []): NodeRecord =>
    ({ index, honest: true, commits: new Map(), committedTxs: new Map(), roots: new Map(), applied: [], epochConfigs: new Map(configs), epochConfigChanges: changes })
  const run = (nodes: NodeRecord[]) => ({ nodes, submitted: new Set<string>(), txs: [], stabilizeAt: 0, livenessBoundMs: 1 })
  assert.deepEqual(checkEpochConfigs(run([node(0, [[0, 'aa'], [1, 'bb']]), node(1, [[1, 'bb']])])), [])
  assert.equal(checkEpochConfigs(run([node(0, [[1, 'bb']]), node(1, [[1, 'cc']])])).length, 1)
  assert.equal(checkEpochConfigs(run([node(0, [[1, 'bb']], [{ epoch: 1, was: 'aa', now: 'bb' }])])).length, 1)
  const dishonest = { ...node(1, [[1, 'cc']]), honest: false }
  assert.deepEqual(checkEpochConfigs(run([node(0, [[1, 'bb']]), dishonest])), [], 'faulty nodes are not held to it')
})
