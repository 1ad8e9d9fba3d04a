// T-PBFT trust evidence (src/consensus/tpbft/evidence.ts): what each kind of evidence proves, the
// equivocation proofs accepted and refused, the metadata and ledger codecs with bad input, and the ledger's
// de-duplication (one event carried twice counts once).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CodecError, Writer } from '../../../../src/consensus/core/codec.ts'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { threePhaseCodec } from '../../../../src/consensus/three-phase/codec.ts'
import type { ThreePhaseMessage } from '../../../../src/consensus/three-phase/messages.ts'
import { EVIDENCE_VERSION, MAX_EVIDENCE_BYTES, MAX_EVIDENCE_ITEMS, TrustLedger, evidenceCodec, evidenceCounts, verifyEquivocation, verifyEvidence } from '../../../../src/consensus/tpbft/evidence.ts'
import type { Evidence, EvidenceContext } from '../../../../src/consensus/tpbft/evidence.ts'
import { FakeSigner } from '../../../../src/crypto/signer.ts'
import { codec, commit, digest, genesis, innerChange as inner, messageVerifier, prepare, signer, viewChange } from '../../../helpers/tpbft-messages.ts'
import type { Msg } from '../../../helpers/tpbft-messages.ts'

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const group = ['a', 'b', 'c', 'd']

function ctx (over: Partial<EvidenceContext<Msg>> = {}): EvidenceContext<Msg> & { calls: () => number } {
  let calls = 0
  const inner = messageVerifier()
  return {
    validators,
    verifier: { verify: (s) => { calls++; return inner.verify(s) } },
    protocol: 'tpbft',
    carriedAt: 100,
    maxCommitLag: 64,
    group: (view) => (view < 10 ? group : undefined),
    innerAccused: (view, acting) => (acting >= 1 ? group[(acting - 1) % group.length] : undefined),
    innerThreshold: () => 3,
    calls: () => calls,
    ...over
  }
}

test('a commit certificate rates every pair of its signers, once per slot', () => {
  const item: Evidence<Msg> = { kind: 'commits', commits: ['a', 'b', 'c', 'd', 'e'].map((id) => commit(id, 90)) }
  const r = verifyEvidence(ctx(), item)
  assert.ok(r.ok, r.ok ? '' : r.error)
  assert.equal(r.value.key, 'commit/90')
  assert.equal(r.value.ratings.length, 5 * 4)
  assert.ok(r.value.ratings.every((x) => x.kind === 'agree' && x.rater !== x.ratee))
  const ledger = new TrustLedger()
  assert.equal(ledger.apply(0, r.value), true)
  assert.equal(ledger.apply(0, r.value), false, 'the same slot carried again counts once')
  assert.equal(ledger.counts(0, 'a', 'b').agree, 1)
})

test('commit certificates are refused: below quorum, mixed digests, stale or future seq, strangers, duplicates, another digest committed, a bad signature', () => {
  const five = ['a', 'b', 'c', 'd', 'e']
  const refused = (item: Evidence<Msg>, why: RegExp, c = ctx()): void => {
    const r = verifyEvidence(c, item)
    assert.ok(!r.ok, `accepted: ${why}`)
    assert.match(r.error, why)
  }
  refused({ kind: 'commits', commits: ['a', 'b', 'c', 'd'].map((id) => commit(id, 90)) }, /quorum is 5/)
  refused({ kind: 'commits', commits: [...five.slice(0, 4).map((id) => commit(id, 90)), commit('e', 90, digest(1))] }, /differ/)
  refused({ kind: 'commits', commits: five.map((id) => commit(id, 20)) }, /outside/)
  refused({ kind: 'commits', commits: five.map((id) => commit(id, 100)) }, /outside/)
  refused({ kind: 'commits', commits: [...five.slice(0, 4), 'zz'].map((id) => commit(id, 90)) }, /not a validator/)
  refused({ kind: 'commits', commits: [...five.slice(0, 4), 'a'].map((id) => commit(id, 90)) }, /signed twice/)
  refused({ kind: 'commits', commits: five.map((id) => commit(id, 90)) }, /committed another digest/, ctx({ committedDigest: () => digest(3) }))
  const forged = { ...commit('e', 90), sig: new Uint8Array(16) }
  refused({ kind: 'commits', commits: [...five.slice(0, 4).map((id) => commit(id, 90)), forged] }, /bad signature/)
  // Shapes are checked before any signature: a list of duplicates costs no verification.
  const c = ctx()
  verifyEvidence(c, { kind: 'commits', commits: Array.from({ length: 6 }, () => commit('a', 90)) })
  assert.equal(c.calls(), 0)
})

test('an inner complaint needs t members of the view\'s group and penalises the member it moves away from', () => {
  const ok = verifyEvidence(ctx(), { kind: 'inner-complaint', complaints: ['b', 'c', 'd'].map((id) => inner(id, 2, 1)) })
  assert.ok(ok.ok, ok.ok ? '' : ok.error)
  assert.equal(ok.value.key, 'inner/2/1')
  assert.deepEqual(ok.value.ratings.map((r) => [r.rater, r.ratee, r.kind]), [['b', 'a', 'inner'], ['c', 'a', 'inner'], ['d', 'a', 'inner']])
  const no = (complaints: Signed<Msg>[], why: RegExp): void => {
    const r = verifyEvidence(ctx(), { kind: 'inner-complaint', complaints })
    assert.ok(!r.ok)
    assert.match(r.error, why)
  }
  no(['b', 'c'].map((id) => inner(id, 2, 1)), /needs 3/)
  no(['b', 'c', 'e'].map((id) => inner(id, 2, 1)), /not in the view's group/)
  no([inner('b', 2, 1), inner('c', 2, 1), inner('d', 2, 2)], /differ/)
  no(['b', 'c', 'd'].map((id) => inner(id, 12, 1)), /no group/)
  no(['b', 'c', 'd'].map((id) => inner(id, 2, 0)), /accuses no member/)
})

test('view-change evidence blames the failed group\'s members that no prepared certificate exonerates', () => {
  const pp = signer('b').sign<Msg>({ protocol: 'tpbft', type: 'pre-prepare', view: 3, seq: 50, digest: digest(50) })
  const vcs = ['a', 'c', 'e', 'f', 'g'].map((id) => viewChange(id, 4, id === 'e' ? [{ prePrepare: pp, prepares: [] }] : []))
  const r = verifyEvidence(ctx(), { kind: 'view-change', viewChanges: vcs })
  assert.ok(r.ok, r.ok ? '' : r.error)
  assert.equal(r.value.key, 'view/4')
  const blamed = new Set(r.value.ratings.map((x) => x.ratee))
  assert.deepEqual([...blamed].sort(), ['a', 'c', 'd'], 'b proposed in view 3 and is spared')
  assert.ok(!r.value.ratings.some((x) => x.rater === x.ratee), 'nobody blames itself')
  const short = verifyEvidence(ctx(), { kind: 'view-change', viewChanges: vcs.slice(0, 4) })
  assert.ok(!short.ok && /quorum/.test(short.error))
  const mixed = verifyEvidence(ctx(), { kind: 'view-change', viewChanges: [...vcs.slice(0, 4), viewChange('b', 5)] })
  assert.ok(!mixed.ok && /different views/.test(mixed.error))
})

test('equivocation: two signed messages for one (type, view, seq) with different digests convict the signer', () => {
  const c = ctx()
  const good = verifyEquivocation(c, commit('c', 40, digest(1)), commit('c', 40, digest(2)))
  assert.deepEqual(good, { ok: true, value: 'c' })
  const item = verifyEvidence(c, { kind: 'equivocation', a: prepare('d', 41, digest(1)), b: prepare('d', 41, digest(2)) })
  assert.ok(item.ok)
  assert.equal(item.value.convict, 'd')
  const ledger = new TrustLedger()
  ledger.apply(0, item.value)
  assert.equal(ledger.isConvicted('d'), true)
  assert.equal(ledger.apply(1, item.value), false, 'a second proof of the same signer changes nothing')
  assert.deepEqual(ledger.convicted(), [['d', 0]])
})

test('equivocation proofs that prove nothing are refused', () => {
  const c = ctx()
  const refuse = (a: Signed<Msg>, b: Signed<Msg>, why: RegExp): void => {
    const r = verifyEquivocation(c, a, b)
    assert.ok(!r.ok, `accepted: ${why}`)
    assert.match(r.error, why)
  }
  const m = commit('c', 40, digest(1))
  refuse(m, m, /same digest/)
  refuse(m, commit('c', 40, digest(1)), /same digest/)
  refuse(m, commit('c', 41, digest(2)), /different slots/)
  refuse(m, commit('c', 40, digest(2), 1), /different slots/)
  refuse(m, commit('d', 40, digest(2)), /different signers/)
  refuse(m, prepare('c', 40, digest(2)), /do not conflict/)
  refuse(inner('c', 1, 1), inner('c', 1, 2), /not convicting/)
  refuse(m, { ...commit('c', 40, digest(2)), sig: new Uint8Array(16) }, /bad signature/)
  // A forged "second message" by another key cannot convict c.
  refuse(m, { ...commit('d', 40, digest(2)), from: 'c' }, /bad signature/)
  const zz = { ...commit('c', 40, digest(2)), from: 'zz' }
  refuse({ ...m, from: 'zz' }, zz, /not a validator/)
})

test('metadata codec: every kind round-trips', () => {
  const ec = evidenceCodec(codec)
  const items: Evidence<Msg>[] = [
    { kind: 'commits', commits: ['a', 'b', 'c', 'd', 'e'].map((id) => commit(id, 90)) },
    { kind: 'inner-complaint', complaints: ['b', 'c', 'd'].map((id) => inner(id, 2, 1)) },
    { kind: 'view-change', viewChanges: ['a', 'c', 'e', 'f', 'g'].map((id) => viewChange(id, 4)) },
    { kind: 'equivocation', a: commit('c', 40, digest(1)), b: commit('c', 40, digest(2)) }
  ]
  const bytes = ec.encode(items)
  const back = ec.decode(bytes)
  assert.ok(back.ok, back.ok ? '' : back.error)
  assert.deepEqual(ec.encode(back.value), bytes)
  assert.deepEqual(back.value.map((i) => i.kind), items.map((i) => i.kind))
  for (const item of back.value) assert.ok(verifyEvidence(ctx(), item).ok, `${item.kind} still verifies after the round trip`)
  assert.deepEqual(ec.decode(ec.encode([])), { ok: true, value: [] })
})

test('metadata codec: truncated, oversized, too many items, unknown tag or version, trailing bytes', () => {
  const ec = evidenceCodec(codec)
  const bytes = ec.encode([{ kind: 'commits', commits: ['a', 'b', 'c', 'd', 'e'].map((id) => commit(id, 90)) }])
  for (const cut of [0, 1, 5, 6, bytes.byteLength - 1]) {
    const r = ec.decode(bytes.subarray(0, cut))
    assert.ok(!r.ok, `a cut at ${cut} decoded`)
  }
  const trailing = new Uint8Array(bytes.byteLength + 1)
  trailing.set(bytes)
  assert.match((ec.decode(trailing) as { error: string }).error, /trailing/)
  const version = bytes.slice()
  version[0] = EVIDENCE_VERSION + 1
  assert.match((ec.decode(version) as { error: string }).error, /version/)
  const tag = bytes.slice()
  tag[5] = 99
  assert.match((ec.decode(tag) as { error: string }).error, /unknown evidence tag/)
  assert.match((ec.decode(new Uint8Array(MAX_EVIDENCE_BYTES + 1)) as { error: string }).error, /exceeds/)
  const many = new Writer().u8(EVIDENCE_VERSION).u32(MAX_EVIDENCE_ITEMS + 1).finish()
  assert.match((ec.decode(many) as { error: string }).error, /exceeds the limit/)
  const hugeList = new Writer().u8(EVIDENCE_VERSION).u32(1).u8(1).u32(1_000_000).finish()
  assert.ok(!ec.decode(hugeList).ok)
  assert.throws(() => ec.encode(Array.from({ length: MAX_EVIDENCE_ITEMS + 1 }, () => ({ kind: 'equivocation', a: commit('c', 1), b: commit('c', 1) }))), RangeError)
  // A message of another protocol inside the metadata is refused by the embedded decoder.
  const pbft = threePhaseCodec('pbft')
  const foreign = new MessageSigner(new FakeSigner('a'), pbft, genesis).sign<ThreePhaseMessage>({ protocol: 'pbft', type: 'commit', view: 0, seq: 1, digest: digest(1) })
  const wrong = evidenceCodec(pbft).encode([{ kind: 'equivocation', a: foreign, b: foreign }])
  assert.match((ec.decode(wrong) as { error: string }).error, /protocol 'pbft'/)
  assert.ok(CodecError !== undefined)
})

test('ledger: canonical encoding whatever the order of events, round trip, refusals', () => {
  const effects = [
    verifyEvidence(ctx(), { kind: 'commits', commits: ['a', 'b', 'c', 'd', 'e'].map((id) => commit(id, 90)) }),
    verifyEvidence(ctx(), { kind: 'commits', commits: ['c', 'd', 'e', 'f', 'g'].map((id) => commit(id, 91)) }),
    verifyEvidence(ctx(), { kind: 'inner-complaint', complaints: ['b', 'c', 'd'].map((id) => inner(id, 2, 1)) }),
    verifyEvidence(ctx(), { kind: 'equivocation', a: commit('g', 40, digest(1)), b: commit('g', 40, digest(2)) })
  ].map((r) => { assert.ok(r.ok); return r.value })
  const forward = new TrustLedger()
  effects.forEach((e, i) => forward.apply(i % 2, e))
  const backward = new TrustLedger()
  for (let i = effects.length - 1; i >= 0; i--) backward.apply(i % 2, effects[i])
  assert.deepEqual(backward.encode(), forward.encode())
  const back = TrustLedger.decode(forward.encode())
  assert.ok(back.ok)
  assert.deepEqual(back.value.encode(), forward.encode())
  const counts = evidenceCounts(back.value, ids, 0, 1)
  assert.deepEqual(counts.find((c) => c.id === 'a'), { id: 'a', agreements: 4, coSigned: 4, innerComplaints: 3, viewChangeBlames: 0 })
  assert.equal(counts.find((c) => c.id === 'g')?.convictedAt, 1)
  // Pruning drops old ratings but never a conviction.
  back.value.prune(1)
  assert.deepEqual(back.value.epochs(), [1])
  assert.equal(back.value.isConvicted('g'), true)

  const bytes = forward.encode()
  for (const cut of [0, 1, 9, bytes.byteLength - 1]) assert.ok(!TrustLedger.decode(bytes.subarray(0, cut)).ok, `cut at ${cut}`)
  // Hand-built encodings: ids, epochs, pairs, keys, convictions.
  const ledgerBytes = (ids: string[], epochs: Array<[number, Array<[number, number]>]>): Uint8Array => {
    const w = new Writer().u8(EVIDENCE_VERSION).list(ids, (w, id) => { w.str(id) })
    w.list(epochs, (w, [e, pairs]) => { w.u64(e).list(pairs, (w, [i, j]) => { w.u32(i).u32(j).u32(1).u32(0).u32(0) }) })
    return w.u32(0).u32(0).finish()
  }
  assert.ok(TrustLedger.decode(ledgerBytes(['a', 'b'], [[0, [[0, 1], [1, 0]]], [1, [[0, 1]]]])).ok, 'the hand-built encoding is sound')
  const refusedFor = (bytes: Uint8Array): string => (TrustLedger.decode(bytes) as { error: string }).error
  assert.match(refusedFor(ledgerBytes(['a', 'b'], [[1, [[0, 1]]], [0, [[0, 1]]]])), /epochs not in canonical order/)
  assert.match(refusedFor(ledgerBytes(['a', 'b'], [[0, [[1, 0], [0, 1]]]])), /pairs not in canonical order/)
  assert.match(refusedFor(ledgerBytes(['b', 'a'], [[0, [[0, 1]]]])), /ids not in canonical order/)
  assert.match(refusedFor(ledgerBytes(['a', 'b', 'c'], [[0, [[0, 1]]]])), /no pair uses/)
  assert.match(refusedFor(ledgerBytes(['a', 'b'], [[0, [[0, 0]]]])), /malformed ledger pair/)
  assert.match(refusedFor(ledgerBytes(['a', 'b'], [[0, [[0, 2]]]])), /malformed ledger pair/)
  assert.match(refusedFor(ledgerBytes(['a', 'b'], [[0, []]])), /no pairs/)
  const tooMany = new Writer().u8(EVIDENCE_VERSION).u32(2 ** 21).finish()
  assert.match((TrustLedger.decode(tooMany) as { error: string }).error, /exceeds the limit/)
})
