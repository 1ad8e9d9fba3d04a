// Crafts signed Narwhal certificates for unit tests: a header by any validator over chosen parents, with a
// quorum of votes, so a test can hand a replica any DAG in any delivery order.
import { bullsharkCodec, headerDigest } from '../../../../src/consensus/bullshark/index.ts'
import type { BatchMsg, Bullshark, BullsharkMessage, Certificate, Header, Vote } from '../../../../src/consensus/bullshark/index.ts'
import { makeBatch } from '../../../../src/consensus/core/batch.ts'
import { MessageSigner } from '../../../../src/consensus/core/message.ts'
import type { Signed } from '../../../../src/consensus/core/message.ts'
import type { Effect } from '../../../../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../../../../src/consensus/core/validators.ts'
import { fromHex } from '../../../../src/crypto/hash.ts'
import { FakeSigner } from '../../../../src/crypto/signer.ts'
import { sha256 } from '../../../../src/crypto/hash.ts'

export const GENESIS = sha256(new Uint8Array([2]))
export const ZERO = { seq: 0, stateRoot: new Uint8Array(32) }

export function validatorsOf (n: number): ValidatorSet {
  return new ValidatorSet(Array.from({ length: n }, (_, i) => ({ id: `v${i}`, publicKey: new Uint8Array(32) })))
}

export const signerOf = (id: string): MessageSigner<BullsharkMessage> => new MessageSigner(new FakeSigner(id), bullsharkCodec, GENESIS)

export const txOf = (s: string): Uint8Array => new TextEncoder().encode(s)

export function batchMsg (author: string, txs: Uint8Array[]): Signed<BatchMsg> {
  return signerOf(author).sign<BatchMsg>({ protocol: 'bullshark', type: 'batch', txs })
}

export function headerOf (author: string, round: number, parents: readonly Signed<Certificate>[], batches: readonly Uint8Array[][] = []): Signed<Header> {
  return signerOf(author).sign<Header>({
    protocol: 'bullshark',
    type: 'header',
    author,
    round,
    parents: parents.map((p) => fromHex(headerDigest(p.msg.header.msg))),
    batches: batches.map((txs) => makeBatch(txs).id)
  })
}

/** A certificate over `header` with votes from the first `quorum` validators. */
export function certify (validators: ValidatorSet, header: Signed<Header>): Signed<Certificate> {
  const h = header.msg
  const votes = validators.ids.slice(0, validators.quorums.quorum).map((id) =>
    signerOf(id).sign<Vote>({ protocol: 'bullshark', type: 'vote', author: h.author, round: h.round, digest: fromHex(headerDigest(h)) }))
  return signerOf(h.author).sign<Certificate>({ protocol: 'bullshark', type: 'certificate', header, votes })
}

/** The transactions a replica's commit effects carry, in order, one string per commit. */
export function committed (fx: readonly Effect<BullsharkMessage>[]): string[] {
  return fx.flatMap((e) => (e.kind === 'commit' ? [e.batch.txs.map((t) => new TextDecoder().decode(t)).join('+')] : []))
}

/** Delivers signed messages to a replica (sent by their signer) and returns every effect. */
export function deliver (node: Bullshark, msgs: readonly Signed<BullsharkMessage>[], now = 1): Effect<BullsharkMessage>[] {
  return msgs.flatMap((m) => node.onMessage(m.from, m, now))
}
