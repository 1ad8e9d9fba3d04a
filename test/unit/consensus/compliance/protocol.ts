// The compliance suite every registered protocol must pass (js-libp2p style: one exported suite, called once
// per module from compliance.test.ts). A small deterministic harness runs four replicas of the module over
// an in-memory network, virtual clock and executor, and checks the contract on everything they emit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isMetaTx, makeBatch } from '../../../../src/consensus/core/batch.ts'
import type { Batch, Tx } from '../../../../src/consensus/core/batch.ts'
import { MessageVerifier, decodeSigned, encodeBody, encodeSigned } from '../../../../src/consensus/core/message.ts'
import type { Message, Signed } from '../../../../src/consensus/core/message.ts'
import type { ProtocolKeys, ProtocolModule } from '../../../../src/consensus/core/module.ts'
import type { Effect, PersistedRecord, Protocol } from '../../../../src/consensus/core/protocol.ts'
import { decodeRecord, encodeRecord } from '../../../../src/consensus/core/record.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { FakeSigner, FakeVerifier } from '../../../../src/crypto/signer.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'

const IDS = ['a', 'b', 'c', 'd']
const validators = new ValidatorSet(IDS.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const GENESIS = sha256(new TextEncoder().encode('compliance'))
const LINK_MS = 10
const keysOf = (self: string): ProtocolKeys => ({ self, validators, signer: new FakeSigner(self), verifier: new FakeVerifier(), genesisHash: GENESIS })
const txsFrom = (tag: string, count: number): Tx[] => Array.from({ length: count }, (_, i) => new TextEncoder().encode(`${tag}/${i}`))
const hex = (b: Uint8Array): string => toHex(b)

interface Replica {
  readonly id: string
  protocol: Protocol<Message>
  /** Durable records (persist effects performed so far). */
  records: Uint8Array[]
  /** the body store beside the records: batches they name by digest */
  bodies: Map<string, readonly Uint8Array[]>
  committed: Batch[]
  executed: { seq: number, root: Uint8Array }
  readonly roots: Map<number, Uint8Array>
  readonly timers: Map<string, number>
  down: boolean
  restarted: boolean
}

interface Crash { readonly node: string, readonly afterEffects: number, readonly restartAfterMs: number }

/** What the harness saw; every contract violation is a string here. */
interface Run {
  readonly replicas: Replica[]
  readonly violations: string[]
  /** Every message on the wire, in order, for the codec checks. */
  readonly wire: Uint8Array[]
  /** A digest of every effect of every replica, in order: equal for equal inputs. */
  readonly digest: string
  readonly submitted: Tx[]
}

function runCluster (m: ProtocolModule<any, any>, opts: { crash?: Crash, untilMs?: number } = {}): Run {
  const params = m.params.parse(m.sim.params)
  const verifier = new MessageVerifier(new FakeVerifier(), m.codec, GENESIS)
  const violations: string[] = []
  const wire: Uint8Array[] = []
  const trace: string[] = []
  // slot -> body hex of what each replica signed there, across incarnations
  const signedSlots = new Map<string, string>()
  const sentBodies = new Set<string>()
  let now = 0
  let order = 0
  const queue: Array<{ at: number, order: number, run: () => void }> = []
  const at = (ms: number, run: () => void): void => { queue.push({ at: now + ms, order: order++, run }) }
  let effectsOfCrashed = 0

  const make = (id: string): Replica => ({ id, protocol: m.create(keysOf(id), params), records: [], bodies: new Map(), committed: [], executed: { seq: 0, root: new Uint8Array(32) }, roots: new Map([[0, new Uint8Array(32)]]), timers: new Map(), down: false, restarted: false })
  const replicas = IDS.map(make)
  const byId = new Map(replicas.map((r) => [r.id, r]))

  const checkWire = (s: Signed<Message>): Uint8Array => {
    const bytes = encodeSigned(m.codec, s)
    const back = decodeSigned(m.codec, bytes)
    if (!back.ok) violations.push(`codec: ${s.msg.type} does not decode: ${back.error}`)
    else if (hex(encodeSigned(m.codec, back.value)) !== hex(bytes)) violations.push(`codec: ${s.msg.type} does not re-encode to the same bytes`)
    wire.push(bytes)
    return bytes
  }

  const handle = (r: Replica, fx: Effect<Message>[]): void => {
    let persisted = false
    for (let i = 0; i < fx.length; i++) {
      const e = fx[i]
      if (opts.crash !== undefined && r.id === opts.crash.node && ++effectsOfCrashed === opts.crash.afterEffects + 1) {
        // The node dies before this effect: what came before it is done (persisted, sent), the rest lost.
        r.down = true
        r.timers.clear()
        const restartAt = opts.crash.restartAfterMs
        at(restartAt, () => restart(r))
        return
      }
      trace.push(`${r.id}@${now}:${e.kind}:${e.kind === 'send' || e.kind === 'broadcast' ? hex(encodeSigned(m.codec, e.msg)) : e.kind === 'persist' ? hex(encodeRecord(m.codec, e.record).bytes) : e.kind === 'setTimer' || e.kind === 'cancelTimer' ? e.id : e.kind === 'commit' ? `${e.seq}/${hex(e.batch.id)}` : ''}`)
      switch (e.kind) {
        case 'persist': {
          const { bytes, body } = encodeRecord(m.codec, e.record)
          if (body !== undefined) r.bodies.set(hex(body.id), body.txs)
          const lookup = (d: Uint8Array): readonly Uint8Array[] | undefined => r.bodies.get(hex(d))
          const back = decodeRecord(m.codec, bytes, lookup)
          if (!back.ok) violations.push(`codec: record ${e.record.msg.type} does not decode: ${back.error}`)
          else if (hex(encodeRecord(m.codec, back.value).bytes) !== hex(bytes)) violations.push(`codec: record ${e.record.msg.type} does not re-encode to the same bytes`)
          if (body !== undefined && decodeRecord(m.codec, bytes, () => undefined).ok) violations.push(`codec: record ${e.record.msg.type} decodes without the body it names`)
          for (let cut = 0; cut < bytes.length; cut += Math.max(1, bytes.length >> 3)) if (decodeRecord(m.codec, bytes.subarray(0, cut), lookup).ok) violations.push(`codec: record ${e.record.msg.type} truncated to ${cut} bytes decodes`)
          r.records.push(bytes)
          persisted = true
          break
        }
        case 'send': case 'broadcast': {
          const s = e.msg
          const slot = s.from === r.id ? m.signingSlot(s.msg) : undefined
          if (slot !== undefined) {
            // What the signature covers: a part outside it (a pre-prepare's batch or certificate) may differ.
            const body = hex(m.codec.signedBody?.(s.msg) ?? encodeBody(m.codec, s.msg))
            const key = `${r.id}/${slot}`
            const prior = signedSlots.get(key)
            if (prior !== undefined && prior !== body) violations.push(`equivocation: ${r.id} signed two different ${slot}`)
            // A new slot message leaves only after a persist of this input (or it is a resend). A restarted
            // replica re-derives some from its records (a commit from a prepared certificate): the
            // equivocation check above covers those.
            if (!persisted && !r.restarted && !sentBodies.has(`${key}/${body}`) && !r.records.some((rec) => hex(rec).includes(body))) violations.push(`persist-order: ${r.id} sent a new ${slot} with no persist before it`)
            signedSlots.set(key, body)
            sentBodies.add(`${key}/${body}`)
          }
          const bytes = checkWire(s)
          const to = e.kind === 'broadcast' ? validators.others(r.id) : e.to
          for (const peer of to) {
            at(LINK_MS, () => {
              const p = byId.get(peer)
              if (p === undefined || p.down) return
              const back = decodeSigned(m.codec, bytes)
              if (!back.ok || !verifier.verify(back.value)) return
              handle(p, p.protocol.onMessage(r.id, back.value, now))
            })
          }
          break
        }
        case 'setTimer': case 'cancelTimer': {
          if (!m.timers.includes(e.id)) violations.push(`timers: ${e.id} is not declared in the module`)
          if (e.kind === 'cancelTimer') { r.timers.delete(e.id); break }
          const token = order
          r.timers.set(e.id, token)
          at(e.ms, () => {
            if (r.down || r.timers.get(e.id) !== token) return
            r.timers.delete(e.id)
            handle(r, r.protocol.onTimer(e.id, now))
          })
          break
        }
        case 'commit': {
          if (e.seq !== r.executed.seq + 1) violations.push(`order: ${r.id} committed seq ${e.seq} after ${r.executed.seq}`)
          r.committed[e.seq - 1] = e.batch
          const root = sha256(r.executed.root, e.batch.id)
          r.executed = { seq: e.seq, root }
          r.roots.set(e.seq, root)
          at(0, () => { if (!r.down) handle(r, r.protocol.onExecuted(e.seq, root, now)) })
          break
        }
        case 'fetchState': {
          const { seq, stateRoot } = e.checkpoint
          at(LINK_MS * 2, () => {
            const source = e.from.map((id) => byId.get(id)).find((p) => p !== undefined && !p.down && p.roots.get(seq) !== undefined && hex(p.roots.get(seq) as Uint8Array) === hex(stateRoot))
            if (source === undefined || r.down || r.executed.seq >= seq) return
            for (let s = 1; s <= seq; s++) r.committed[s - 1] = source.committed[s - 1]
            r.executed = { seq, root: stateRoot }
            r.roots.set(seq, stateRoot)
            handle(r, r.protocol.onExecuted(seq, stateRoot, now))
          })
          break
        }
        case 'log': break
      }
    }
  }

  const restart = (r: Replica): void => {
    r.protocol = m.create(keysOf(r.id), params)
    const records: PersistedRecord<Message>[] = []
    for (const bytes of r.records) {
      const back = decodeRecord(m.codec, bytes, (d) => r.bodies.get(hex(d)))
      if (back.ok) records.push(back.value)
    }
    r.protocol.restore(records)
    r.down = false
    r.restarted = true
    r.committed.length = r.executed.seq
    handle(r, r.protocol.start({ seq: r.executed.seq, stateRoot: r.executed.root }, now))
  }

  for (const r of replicas) handle(r, r.protocol.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0))
  const first = txsFrom('first', 40)
  const second = txsFrom('second', 24)
  at(5, () => { const b = byId.get('b') as Replica; if (!b.down) handle(b, b.protocol.onRequest(makeBatch(first), now)) })
  at(700, () => { const c = byId.get('c') as Replica; if (!c.down) handle(c, c.protocol.onRequest(makeBatch(second), now)) })
  const submitted = [...first, ...second]
  const want = new Set(submitted.map(hex))
  const done = (r: Replica): boolean => { const got = new Set(r.committed.flatMap((b) => b?.txs ?? []).map(hex)); return [...want].every((k) => got.has(k)) }
  const untilMs = opts.untilMs ?? 120_000
  let events = 0
  while (queue.length > 0 && events++ < 500_000) {
    queue.sort((x, y) => x.at - y.at || x.order - y.order)
    const next = queue.shift() as { at: number, run: () => void }
    if (next.at > untilMs) break
    now = next.at
    next.run()
    if (now > 1000 && replicas.every((r) => !r.down && done(r))) break
  }
  return { replicas, violations, wire, digest: hex(sha256(new TextEncoder().encode(trace.join('\n')))), submitted }
}

/** Registers the compliance tests for one protocol module. */
export function protocolCompliance (m: ProtocolModule<any, any>): void {
  const happy = (): Run => runCluster(m)

  test(`${m.name}: four replicas commit every transaction, in order, the same batches on each`, () => {
    const run = happy()
    assert.deepEqual(run.violations, [])
    const want = run.submitted.map(hex).sort()
    const reference = run.replicas[0].committed.map((b) => hex(b.id))
    for (const r of run.replicas) {
      assert.ok(r.committed.every((b) => b !== undefined), `${r.id} has no gaps`)
      assert.deepEqual(r.committed.map((b) => hex(b.id)), reference, `${r.id} committed the same sequence`)
      // Consensus-metadata transactions (T-PBFT's evidence) are the protocol's own, not submitted ones.
      assert.deepEqual(r.committed.flatMap((b) => b.txs).filter((tx) => !isMetaTx(tx)).map(hex).sort(), want, `${r.id} committed each transaction once`)
    }
  })

  test(`${m.name}: every message and record round-trips through the codec; truncation and mutation are rejected without throwing`, () => {
    const run = happy()
    assert.deepEqual(run.violations.filter((v) => v.startsWith('codec')), [])
    assert.ok(run.wire.length > 20, `${run.wire.length} messages on the wire`)
    const verifier = new MessageVerifier(new FakeVerifier(), m.codec, GENESIS)
    const types = new Set<string>()
    for (const bytes of run.wire) {
      const s = decodeSigned(m.codec, bytes)
      assert.ok(s.ok)
      if (types.has(s.value.msg.type)) continue
      types.add(s.value.msg.type)
      for (let cut = 0; cut < bytes.length; cut++) assert.equal(decodeSigned(m.codec, bytes.subarray(0, cut)).ok, false, `${s.value.msg.type} cut to ${cut} bytes`)
      for (let i = 0; i < bytes.length; i++) {
        for (const flip of [0x01, 0x80, 0xff]) {
          const mutated = bytes.slice()
          mutated[i] ^= flip
          const d = decodeSigned(m.codec, mutated)
          assert.ok(!d.ok || !verifier.verify(d.value), `${s.value.msg.type} with byte ${i} ^ ${flip} is accepted`)
        }
      }
    }
    assert.ok(types.size >= 3, `several message types seen (${[...types].join(', ')})`)
  })

  test(`${m.name}: a new slot message leaves only after its persist; every timer is declared`, () => {
    const run = happy()
    assert.deepEqual(run.violations.filter((v) => v.startsWith('persist-order') || v.startsWith('timers')), [])
  })

  test(`${m.name}: a replica restarted from its records never signs two different messages for one slot`, () => {
    // The leader of the first view or anchor and a follower, each cut at several points of its effects.
    for (const node of ['a', 'b']) {
      for (const afterEffects of [3, 9, 20, 45, 90]) {
        const run = runCluster(m, { crash: { node, afterEffects, restartAfterMs: 300 } })
        assert.deepEqual(run.violations, [], `${node} cut after ${afterEffects} effects`)
        // What the crashed replica held only in memory may be lost (clients retry); what was submitted to
        // 'c', which never crashes, commits, and the survivors agree.
        const survivors = run.replicas.filter((r) => r.id !== node)
        const reference = survivors[0].committed.map((b) => hex(b.id))
        for (const r of survivors) {
          const got = new Set(r.committed.flatMap((b) => b?.txs ?? []).map(hex))
          assert.ok(run.submitted.slice(40).every((tx) => got.has(hex(tx))), `${r.id} commits what c was given, with ${node} cut after ${afterEffects}`)
          const mine = r.committed.map((b) => hex(b.id))
          const common = Math.min(mine.length, reference.length)
          assert.deepEqual(mine.slice(0, common), reference.slice(0, common), `${r.id} agrees with ${survivors[0].id}`)
        }
      }
    }
  })

  test(`${m.name}: the same inputs give the same effects`, () => {
    assert.equal(happy().digest, happy().digest)
    const crash: Crash = { node: 'a', afterEffects: 20, restartAfterMs: 300 }
    assert.equal(runCluster(m, { crash }).digest, runCluster(m, { crash }).digest)
  })

  test(`${m.name}: status() has the common fields`, () => {
    const run = happy()
    for (const r of run.replicas) {
      const st = r.protocol.status()
      assert.equal(st.protocol, m.name)
      for (const k of ['view', 'lastCommitted', 'lastExecuted', 'stableCheckpoint', 'pending'] as const) assert.ok(Number.isInteger(st[k]) && st[k] >= 0, `${k} = ${st[k]}`)
      assert.equal(typeof st.viewChanging, 'boolean')
      assert.ok(st.primary === null || validators.has(st.primary))
      assert.ok(st.lastCommitted >= r.committed.length && st.lastExecuted === r.executed.seq)
    }
  })

  test(`${m.name}: messages a Byzantine validator signs over mutated content never make a replica throw`, () => {
    const run = happy()
    const byzantine = m.messageSigner(keysOf('d'))
    const target = runCluster(m, { untilMs: 400 }).replicas[1]
    let delivered = 0
    for (const bytes of run.wire.slice(0, 300)) {
      for (let i = 0; i < bytes.length; i += Math.max(1, bytes.length >> 4)) {
        const mutated = bytes.slice()
        mutated[i] ^= 0x5a
        const d = decodeSigned(m.codec, mutated)
        if (!d.ok) continue
        const resigned = byzantine.sign(d.value.msg)
        assert.doesNotThrow(() => target.protocol.onMessage('d', resigned, 500 + delivered))
        delivered++
      }
    }
    assert.ok(delivered > 20, `${delivered} mutated messages decoded and were delivered`)
    assert.doesNotThrow(() => target.protocol.onTimer('not-a-timer', 10_000))
  })
}
