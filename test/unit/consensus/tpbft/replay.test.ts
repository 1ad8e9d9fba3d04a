// Recomputing epoch configurations from a committed history (src/consensus/tpbft/replay.ts): decoded or
// encoded evidence give the same configurations; a node that caught up by state transfer (a ledger snapshot
// at an epoch boundary) reaches the same later configurations; forged and repeated evidence earn nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import { viewGroup } from '../../../../src/consensus/tpbft/epoch.ts'
import type { EpochConfig } from '../../../../src/consensus/tpbft/epoch.ts'
import { TrustLedger, evidenceCodec, evidenceCounts } from '../../../../src/consensus/tpbft/evidence.ts'
import type { Evidence, EvidenceContext } from '../../../../src/consensus/tpbft/evidence.ts'
import { EpochTrustTracker, replayEpochConfigs } from '../../../../src/consensus/tpbft/replay.ts'
import { sha256, toHex } from '../../../../src/crypto/hash.ts'
import { codec, commit, digest, innerChange, messageVerifier } from '../../../helpers/tpbft-messages.ts'
import type { Msg } from '../../../helpers/tpbft-messages.ts'

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const E = 8
const EPOCHS = 4
const params = { epochLength: E, groupSize: 4 }
const rootAt = (seq: number): Uint8Array => sha256(new Uint8Array([seq, 0xee]))
const verifier = messageVerifier()

const context = (seq: number, config: EpochConfig): EvidenceContext<Msg> => ({
  validators,
  verifier,
  protocol: 'tpbft',
  carriedAt: seq,
  maxCommitLag: E,
  committedDigest: (s) => digest(s),
  group: (view) => { const g = viewGroup(config, view); return g.fallback ? undefined : g.members },
  innerAccused: (view, acting) => viewGroup(config, view).members[acting - 1],
  innerThreshold: () => 3
})

/** Batch s carries the commit certificate of s - 1 (a rotating quorum; g never signs), and in epoch 1 an
 *  inner complaint against the first member of view 0's group (twice), a forged certificate, and in
 *  epoch 2 an equivocation by f. The complaint depends on the configuration, so the history is built by
 *  following the tracker. */
function history (): Array<{ seq: number, evidence: Evidence<Msg>[] }> {
  const tracker = new EpochTrustTracker<Msg>({ validators, params, genesisRoot: rootAt(0), context })
  const out: Array<{ seq: number, evidence: Evidence<Msg>[] }> = []
  for (let seq = 1; seq <= EPOCHS * E; seq++) {
    const evidence: Evidence<Msg>[] = []
    if (seq > 1) {
      const signers = ids.slice(0, 6).filter((_, i) => i !== seq % 6)
      evidence.push({ kind: 'commits', commits: signers.map((id) => commit(id, seq - 1)) })
    }
    if (seq === 10 || seq === 11) {
      const members = viewGroup(tracker.config, 0).members
      evidence.push({ kind: 'inner-complaint', complaints: members.slice(1).map((id) => innerChange(id, 0, 1)) })
    }
    if (seq === 12) {
      const forged: Signed<Msg> = { ...commit('e', 11), sig: new Uint8Array(16) }
      evidence.push({ kind: 'commits', commits: [...['a', 'b', 'c', 'd'].map((id) => commit(id, 11)), forged] })
    }
    if (seq === 20) evidence.push({ kind: 'equivocation', a: commit('f', 19, digest(1)), b: commit('f', 19, digest(2)) })
    out.push({ seq, evidence })
    tracker.applyBatch(seq, evidence)
    if (seq % E === 0) tracker.closeEpoch(rootAt(seq))
  }
  return out
}

const hashes = (configs: readonly EpochConfig[]): string[] => configs.map((c) => toHex(c.hash))

test('replaying a committed history: decoded and encoded evidence give the same configurations', () => {
  const batches = history()
  const decoded = replayEpochConfigs<Msg>({ validators, params, genesisRoot: rootAt(0), context, batches, checkpointRoot: rootAt })
  assert.equal(decoded.configs.length, EPOCHS + 1)
  const ec = evidenceCodec(codec)
  const encoded = replayEpochConfigs<Msg>({
    validators, params, genesisRoot: rootAt(0), context, codec, checkpointRoot: rootAt,
    batches: batches.map((b) => ({ seq: b.seq, evidence: ec.encode(b.evidence) }))
  })
  assert.deepEqual(hashes(encoded.configs), hashes(decoded.configs))
  assert.deepEqual(encoded.ledger.encode(), decoded.ledger.encode())
  // The forged certificate is refused, at its seq; nothing else is.
  assert.deepEqual(decoded.refused.map((r) => r.seq), [12])
  assert.match(decoded.refused[0].reason, /bad signature/)

  const [, e1, e2, e3] = decoded.configs
  // g never signed: ineligible from epoch 1 on.
  assert.ok(e1.ranking.indexOf('g') >= e1.eligible)
  // The accused of epoch 1 ranks below every other eligible validator in epoch 2.
  const accused = viewGroup(e1, 0).members[0]
  assert.ok(e2.ranking.indexOf(accused) >= e2.eligible - 1, `${accused} at ${e2.ranking.indexOf(accused)} of ${e2.ranking.join(',')}`)
  // The complaint carried twice (seqs 10 and 11) counts once: three raters, one failover.
  const received = evidenceCounts(decoded.ledger, ids, 1, 1).find((c) => c.id === accused)!
  assert.equal(received.innerComplaints, 3)
  // f equivocated in epoch 2: convicted, trust 0, out of every window in epoch 3.
  assert.deepEqual(e3.convicted, ['f'])
  assert.equal(e3.trust[e3.ranking.indexOf('f')], 0)
  assert.ok(e3.groups.every((g) => !g.includes('f')))
})

test('a node that caught up by state transfer at an epoch boundary reaches the same configurations', () => {
  const batches = history()
  const full = replayEpochConfigs<Msg>({ validators, params, genesisRoot: rootAt(0), context, batches, checkpointRoot: rootAt })
  for (const boundary of [1, 2, 3]) {
    // The snapshot at checkpoint boundary*E: the ledger (as it travels in the state) and that epoch's config.
    const upTo = replayEpochConfigs<Msg>({ validators, params, genesisRoot: rootAt(0), context, batches: batches.filter((b) => b.seq <= boundary * E), checkpointRoot: rootAt })
    const snapshot = TrustLedger.decode(upTo.ledger.encode())
    assert.ok(snapshot.ok)
    const config = structuredClone(upTo.configs[boundary])
    const caughtUp = replayEpochConfigs<Msg>({
      validators, params, genesisRoot: rootAt(99), context, checkpointRoot: rootAt,
      from: { ledger: snapshot.value, config },
      batches: batches.filter((b) => b.seq > boundary * E)
    })
    assert.deepEqual(hashes(caughtUp.configs), hashes(full.configs.slice(boundary)), `caught up at epoch ${boundary}`)
    assert.deepEqual(caughtUp.ledger.encode(), full.ledger.encode())
  }
})

test('the tracker refuses batches out of order or across an unclosed epoch', () => {
  const tracker = new EpochTrustTracker<Msg>({ validators, params, genesisRoot: rootAt(0), context })
  tracker.applyBatch(1, [])
  assert.throws(() => tracker.applyBatch(1, []), /in order, once/)
  assert.throws(() => tracker.applyBatch(E + 1, []), /close the epoch/)
  assert.throws(() => tracker.applyBatch(2, new Uint8Array(1)), /codec/)
  // Undecodable metadata is one refusal, not an exception: the batch stays valid.
  const withCodec = new EpochTrustTracker<Msg>({ validators, params, genesisRoot: rootAt(0), context, codec })
  assert.equal(withCodec.applyBatch(1, new Uint8Array([9, 9])).refused.length, 1)
})
