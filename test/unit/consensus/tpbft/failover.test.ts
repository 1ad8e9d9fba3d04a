// T-PBFT's inner failover when the acting member dies between sends: a member that co-signed a proposal
// the next acting member never received hands it over with its vote, so the new acting member
// re-certifies it instead of proposing a fresh batch over it (which splits the slot between two digests:
// with one member dead neither gathers t shares, and the view is lost to an outer view change).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import type { Batch } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'
import { TPBFT_TIMERS, createTpbftReplica, encodeCert, tpbftCodec } from '../../../../src/consensus/tpbft/index.ts'
import type { Tpbft, TpbftMessage } from '../../../../src/consensus/tpbft/index.ts'
import type { FullPrePrepare } from '../../../../src/consensus/three-phase/messages.ts'

const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const GENESIS = sha256(new TextEncoder().encode('tpbft-failover'))

interface Wire { readonly from: string, readonly to: string, readonly msg: Signed<any>, readonly timer?: string }

/** Seven replicas joined by a FIFO queue; `cut(w)` drops a message, dead replicas neither send nor hear. */
class Net {
  readonly nodes = new Map<string, Tpbft>()
  readonly dead = new Set<string>()
  readonly committed = new Map<string, Map<number, string>>()
  readonly logs: Array<{ at: string, type: string }> = []
  readonly queue: Wire[] = []
  cut: (w: Wire) => boolean = () => false
  now = 0

  constructor () {
    for (const id of IDS) {
      const r = createTpbftReplica({ self: id, validators, signer: new FakeSigner(id), verifier: new FakeVerifier(), genesisHash: GENESIS }, { batchDelayMs: 0, checkpointInterval: 8, watermarkWindow: 32, epochLength: 64 })
      this.nodes.set(id, r)
      this.committed.set(id, new Map())
    }
    for (const [id, r] of this.nodes) this.apply(id, r.replica.start({ seq: 0, stateRoot: new Uint8Array(32) }, this.now))
  }

  apply (self: string, fx: Effect<any>[]): void {
    if (this.dead.has(self)) return
    for (const e of fx) {
      if (e.kind === 'send') for (const to of e.to) { if (to !== self) this.queue.push({ from: self, to, msg: e.msg }) }
      else if (e.kind === 'broadcast') for (const to of IDS) { if (to !== self) this.queue.push({ from: self, to, msg: e.msg }) }
      // Batching and relaying timers run out at once (the others are fired by the test).
      else if (e.kind === 'setTimer' && (e.id === TPBFT_TIMERS.batch || e.id === TPBFT_TIMERS.relay)) this.queue.push({ from: self, to: self, msg: undefined as never, timer: e.id })
      else if (e.kind === 'commit') this.committed.get(self)!.set(e.seq, toHex(e.batch.id))
      else if (e.kind === 'log') this.logs.push({ at: self, type: e.event.type })
    }
  }

  request (id: string, batch: Batch): void { this.apply(id, this.nodes.get(id)!.replica.onRequest(batch, ++this.now)) }
  timer (id: string, timer: string): void { this.apply(id, this.nodes.get(id)!.replica.onTimer(timer, ++this.now)) }

  /** Delivers until nothing is in flight (a bounded number of messages). */
  run (limit = 20_000): void {
    for (let i = 0; i < limit && this.queue.length > 0; i++) {
      const w = this.queue.shift()!
      if (this.dead.has(w.from) || this.dead.has(w.to) || this.cut(w)) continue
      if (w.timer !== undefined) {
        this.timer(w.to, w.timer)
        continue
      }
      this.apply(w.to, this.nodes.get(w.to)!.replica.onMessage(w.from, w.msg, ++this.now))
    }
  }
}

const batchOf = (tag: string): Batch => makeBatch([new TextEncoder().encode(tag)])

test('the acting member dies after its proposal reached one member: the next one re-certifies it, no view lost', () => {
  const net = new Net()
  const group = net.nodes.get('a')!.variant.group(0)
  const [x, y, z, w] = group
  assert.equal(net.nodes.get(y)!.variant.threshold(0), 3)
  // x proposes; its pre-prepare reaches z only, then x is killed (z's share never comes back).
  net.cut = (m) => m.from === x && m.timer === undefined && m.msg.msg.type === 'pre-prepare' && m.to !== z
  const first = batchOf('first')
  net.request(x, first)
  net.run()
  net.dead.add(x)
  net.cut = () => false
  // The others hold another transaction: a new acting member that missed x's proposal would propose it.
  for (const id of IDS) if (id !== x) net.request(id, batchOf('second'))
  net.run()
  // The members' inner timers run out: they vote for y, which takes over.
  for (const id of [y, z, w]) net.timer(id, TPBFT_TIMERS.inner)
  net.run()
  for (const id of [y, z, w]) assert.equal(net.nodes.get(id)!.variant.counters.innerFailovers, 1, `${id} moved to the next acting member`)
  const live = IDS.filter((id) => id !== x)
  for (const id of live) {
    assert.equal(net.committed.get(id)!.get(1), toHex(first.id), `${id} committed x's co-signed proposal at seq 1`)
    assert.equal(net.nodes.get(id)!.replica.status().view, 0, `${id} is still in view 0`)
  }
  assert.ok(live.every((id) => net.committed.get(id)!.size >= 2), 'the second transaction committed above it')
  assert.deepEqual(net.logs.filter((l) => l.type === 'equivocation'), [], 'no honest member is judged an equivocator')
})

test('two group members\' certified proposals for one slot are no equivocation; one member\'s two are', () => {
  const net = new Net()
  const group = net.nodes.get('a')!.variant.group(0)
  const outsider = IDS.find((id) => !group.includes(id))!
  const r = net.nodes.get(outsider)!
  const signer = (id: string) => new MessageSigner<TpbftMessage>(new FakeSigner(id), tpbftCodec, GENESIS)
  const certified = (from: string, tag: string): Signed<FullPrePrepare> => {
    const batch = batchOf(tag)
    const pp = signer(from).sign({ protocol: 'tpbft', type: 'pre-prepare', view: 0, seq: 1, digest: batch.id, batch } as TpbftMessage) as unknown as Signed<FullPrePrepare>
    const shares = group.slice(0, 3).map((id) => signer(id).sign({ protocol: 'tpbft', type: 'group-share', view: 0, seq: 1, digest: batch.id, acting: 0 } as TpbftMessage))
    return { ...pp, msg: { ...pp.msg, cert: encodeCert(shares as never) } }
  }
  const equivocations = (fx: Effect<any>[]) => fx.filter((e) => e.kind === 'log' && e.event.type === 'equivocation').length
  assert.equal(equivocations(r.replica.onMessage(group[0], certified(group[0], 'one') as never, 1)), 0)
  assert.equal(equivocations(r.replica.onMessage(group[1], certified(group[1], 'two') as never, 2)), 0, 'another member\'s proposal')
  assert.equal(equivocations(r.replica.onMessage(group[0], certified(group[0], 'three') as never, 3)), 1, 'the same member\'s second digest')
})

test('an inner failover by votes is carried as a complaint (E2): every live replica\'s ledger blames the member skipped', () => {
  const net = new Net()
  const [x, y, z, w] = net.nodes.get('a')!.variant.group(0)
  net.dead.add(x)
  for (const id of IDS) if (id !== x) net.request(id, batchOf('after the failover'))
  net.run()
  for (const id of [y, z, w]) net.timer(id, TPBFT_TIMERS.inner)
  net.run()
  // One more batch, so the batch carrying the complaint is followed by one more commit everywhere.
  for (const id of IDS) if (id !== x) net.request(id, batchOf('one more'))
  net.run()
  const live = IDS.filter((id) => id !== x)
  for (const id of live) {
    const ledger = net.nodes.get(id)!.variant.evidence.ledger
    assert.equal(ledger.recorded('inner/0/0/1'), 0, `${id} recorded the inner failover of view 0 to acting index 1`)
    assert.deepEqual([y, z, w].map((voter) => ledger.counts(0, voter, x).inner), [1, 1, 1], `${id}: each voter complained about ${x} once`)
    assert.equal(ledger.counts(0, y, z).inner, 0, 'nobody else is blamed')
    assert.equal(net.nodes.get(id)!.variant.evidence.counters.refused, 0)
  }
})
