// A stand-in for T-PBFT's message codec in the trust tests: the three-phase messages under the 'tpbft' tag
// plus an INNER-CHANGE of the shape T-PBFT signs, with fake signers (test/unit/consensus/tpbft/).
import { MessageSigner, MessageVerifier } from '../../src/consensus/core/message.ts'
import type { MessageCodec, Signed } from '../../src/consensus/core/message.ts'
import { threePhaseCodec } from '../../src/consensus/three-phase/codec.ts'
import type { ThreePhaseMessage } from '../../src/consensus/three-phase/messages.ts'
import { FakeSigner, FakeVerifier } from '../../src/crypto/signer.ts'
import { sha256 } from '../../src/crypto/hash.ts'

export interface InnerChange { readonly protocol: string, readonly type: 'inner-change', readonly view: number, readonly acting: number }
export type Msg = ThreePhaseMessage | InnerChange

const base = threePhaseCodec('tpbft')
export const codec: MessageCodec<Msg> = {
  protocol: 'tpbft',
  signedBody: (m) => (m.type === 'inner-change' ? undefined : base.signedBody?.(m)),
  encodeBody (m, w) { if (m.type === 'inner-change') w.u64(m.view).u32(m.acting); else base.encodeBody(m, w) },
  decodeBody (type, r, ctx) { return type === 'inner-change' ? { protocol: 'tpbft', type, view: r.u64(), acting: r.u32() } : base.decodeBody(type, r, ctx) }
}

export const genesis = sha256(new Uint8Array([12]))
export const signer = (id: string): MessageSigner<Msg> => new MessageSigner(new FakeSigner(id), codec, genesis)
export const messageVerifier = (): MessageVerifier<Msg> => new MessageVerifier(new FakeVerifier(), codec, genesis)
export const digest = (x: number): Uint8Array => sha256(new Uint8Array([x & 255, x >> 8]))

export const commit = (id: string, seq: number, d = digest(seq), view = 0): Signed<Msg> => signer(id).sign<Msg>({ protocol: 'tpbft', type: 'commit', view, seq, digest: d })
export const prepare = (id: string, seq: number, d: Uint8Array, view = 0): Signed<Msg> => signer(id).sign<Msg>({ protocol: 'tpbft', type: 'prepare', view, seq, digest: d })
export const innerChange = (id: string, view: number, acting: number): Signed<Msg> => signer(id).sign<Msg>({ protocol: 'tpbft', type: 'inner-change', view, acting })
export const viewChange = (id: string, view: number, prepared: Array<{ prePrepare: Signed<Msg>, prepares: Signed<Msg>[] }> = []): Signed<Msg> =>
  signer(id).sign<Msg>({ protocol: 'tpbft', type: 'view-change', view, stableSeq: 0, stableRoot: new Uint8Array(32), checkpointProof: [], prepared: prepared as never })
