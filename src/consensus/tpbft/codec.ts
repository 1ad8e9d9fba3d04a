// T-PBFT's codec: the three-phase layout under the 'tpbft' tag with a certificate field on pre-prepares,
// plus its own message types (messages.ts). A certificate is a list of signed group shares.
import { HASH_BYTES } from '../../crypto/hash.ts'
import { CodecError, Reader, Writer } from '../core/codec.ts'
import { readSigned, writeSigned } from '../core/message.ts'
import type { MessageCodec, Signed } from '../core/message.ts'
import { threePhaseCodec } from '../three-phase/codec.ts'
import type { ThreePhaseMessage } from '../three-phase/messages.ts'
import { TPBFT, isOwn } from './messages.ts'
import { MAX_CARRIED_BYTES } from './carry.ts'
import { MAX_CERTIFIED_LEDGER_BYTES } from './ledger-sync.ts'
import type { GroupShare, TpbftMessage } from './messages.ts'

/** Most shares one certificate may carry (a group is never larger). */
export const MAX_CERT_SHARES = 64

// Certificates on pre-prepares (the group's co-signatures) and an extra on checkpoints (the trust ledger's
// hash, ledger-sync.ts).
const base = threePhaseCodec(TPBFT, false, true, true)

export const tpbftCodec: MessageCodec<TpbftMessage> = {
  protocol: TPBFT,
  signedBody: (m) => isOwn(m) ? undefined : base.signedBody?.(m as ThreePhaseMessage),
  // an accepted pre-prepare's batch goes to the body store, as in every three-phase variant
  detachBody: (m) => isOwn(m) ? undefined : base.detachBody?.(m as ThreePhaseMessage),
  encodeBody (m, w) {
    if (!isOwn(m)) return base.encodeBody(m, w)
    switch (m.type) {
      case 'group-share': w.u64(m.view).u64(m.seq).bytes(m.digest).u32(m.acting); return
      case 'inner-change': w.u64(m.epoch).u64(m.view).u32(m.acting); return
      case 'rec-share': w.u64(m.view).u64(m.seq).bytes(m.digest).u32(m.acting); return
      case 'rec-inner': w.u64(m.view).u32(m.acting); return
      case 'rec-evidence': w.u64(m.seq).bytes(m.evidence); return
      case 'rec-ledger': w.u64(m.seq).bytes(m.ledger); return
      case 'rec-seed': w.u64(m.seq).bytes(m.root); return
      case 'ledger-request': w.u64(m.seq); return
      case 'ledger': w.u64(m.seq).bytes(m.ledger)
    }
  },
  decodeBody (type, r, ctx) {
    const protocol = TPBFT
    switch (type) {
      case 'group-share': return { protocol, type, view: r.u64(), seq: r.u64(), digest: r.fixed(HASH_BYTES, 'digest'), acting: r.u32() }
      case 'inner-change': return { protocol, type, epoch: r.u64(), view: r.u64(), acting: r.u32() }
      case 'rec-share': return { protocol, type, view: r.u64(), seq: r.u64(), digest: r.fixed(HASH_BYTES, 'digest'), acting: r.u32() }
      case 'rec-inner': return { protocol, type, view: r.u64(), acting: r.u32() }
      case 'rec-evidence': return { protocol, type, seq: r.u64(), evidence: r.bytes(MAX_CARRIED_BYTES, 'evidence') }
      case 'rec-ledger': return { protocol, type, seq: r.u64(), ledger: r.bytes(MAX_CERTIFIED_LEDGER_BYTES, 'trust ledger') }
      case 'rec-seed': return { protocol, type, seq: r.u64(), root: r.fixed(HASH_BYTES, 'state root') }
      case 'ledger-request': return { protocol, type, seq: r.u64() }
      case 'ledger': return { protocol, type, seq: r.u64(), ledger: r.bytes(MAX_CERTIFIED_LEDGER_BYTES, 'trust ledger').slice() }
      default: return base.decodeBody(type, r, ctx)
    }
  }
}

export function encodeCert (shares: readonly Signed<GroupShare>[]): Uint8Array {
  return new Writer().list(shares, (w, s) => writeSigned(w, tpbftCodec, s)).finish()
}

/** The shares in a certificate; throws CodecError for anything but a bounded list of signed shares. */
export function decodeCert (bytes: Uint8Array): Signed<GroupShare>[] {
  const r = new Reader(bytes)
  const shares = r.list((r) => {
    const s = readSigned(r, tpbftCodec, { depth: 1 })
    if (s.msg.type !== 'group-share') throw new CodecError(`a certificate holds group shares, not ${s.msg.type}`)
    return s as Signed<GroupShare>
  }, MAX_CERT_SHARES)
  r.end()
  return shares
}
