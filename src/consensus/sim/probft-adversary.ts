// ProBFT's own simulator adversaries (design note PROBFT.md 8). They sample with their own node's VRF
// only (the simulator's fake one, which they could compute for anyone: they do not), sign with their own
// key only, and share what the faulty nodes of one run know through a record keyed by the run's validator
// set, as colluding replicas would.
//   spray-votes        every vote goes to everyone, not only to the sender's sample
//   echo-amplify       the leader equivocates (halves); faulty backups prepare and commit at once each
//                      side's digest, with the leader's header, to the members of their samples on that side
//   minority-proposal  the leader proposes only to n - quorum honest replicas (the same ones all view),
//                      faulty backups echo to that minority only, and faulty view-changes carry no
//                      certificates and skip the minority (design note PROBFT.md 4, the exclusion hole)
//   forge-certificate  faulty replicas vote for a digest the leader never proposed to each other only, to
//                      assemble a Byzantine-only certificate, and carry it in their view-changes
import { sha256 } from '../../crypto/hash.ts'
import { EMPTY_BATCH, makeBatch } from '../core/batch.ts'
import type { MessageSigner, Signed } from '../core/message.ts'
import type { Effect, ProtocolExtra } from '../core/protocol.ts'
import type { ValidatorId, ValidatorSet } from '../core/validators.ts'
import { fakeVrf, fakeVrfPublicKey } from '../../crypto/vrf.ts'
import { sampleAlpha, sampleIndices } from '../probft/sampling.ts'
import type { Commit, FullPrePrepare, Prepare, PrePrepare, ThreePhaseMessage, ViewChange } from '../three-phase/messages.ts'
import type { Adversary, AdversaryContext } from './adversary.ts'

type Fx = Effect<ThreePhaseMessage>[]
type Phase = 'prepare' | 'commit'

export const PROBFT_ADVERSARIES: readonly string[] = ['spray-votes', 'echo-amplify', 'minority-proposal', 'forge-certificate']

interface Side { readonly members: ReadonlySet<ValidatorId>, readonly header: Signed<PrePrepare> }
/** minorities: the honest replicas a minority-proposal leader feeds in each view (the same ones for every
 *  slot of the view, so they keep deciding and do not time out while the rest do). */
interface Coalition { readonly faulty: Set<ValidatorId>, readonly sides: Map<string, Side[]>, readonly minorities: Map<number, readonly ValidatorId[]> }

const coalitions = new WeakMap<ValidatorSet, Coalition>()
const coalitionOf = (v: ValidatorSet): Coalition => {
  let c = coalitions.get(v)
  if (c === undefined) { c = { faulty: new Set(), sides: new Map(), minorities: new Map() }; coalitions.set(v, c) }
  return c
}

const headerOf = (s: Signed<PrePrepare>): Signed<PrePrepare> =>
  ({ from: s.from, sig: s.sig, msg: { protocol: s.msg.protocol, type: 'pre-prepare', view: s.msg.view, seq: s.msg.seq, digest: s.msg.digest } })

/** The same transactions in another order (another digest), or undefined when there is none. */
function otherBatch (pp: PrePrepare): FullPrePrepare | undefined {
  const txs = pp.batch?.txs ?? []
  if (txs.length === 0) return undefined
  const batch = txs.length === 1 ? EMPTY_BATCH : makeBatch([...txs].reverse())
  return { ...pp, digest: batch.id, batch }
}

export function probftAdversary (kind: string, ctx: AdversaryContext): Adversary | undefined {
  if (!PROBFT_ADVERSARIES.includes(kind)) return undefined
  const signer = ctx.signer as unknown as MessageSigner<ThreePhaseMessage>
  const coalition = coalitionOf(ctx.validators)
  coalition.faulty.add(ctx.self)
  const vrf = fakeVrf(fakeVrfPublicKey(ctx.self))
  const ids = ctx.validators.ids
  const extra = (): ProtocolExtra => ctx.status().extra ?? {}
  /** This node's own proof and sample for a vote. */
  const mine = (phase: Phase, view: number, seq: number): { proof: Uint8Array, sample: ValidatorId[] } => {
    const { proof, beta } = vrf.prove(sampleAlpha(ctx.genesisHash, seq, view, phase))
    return { proof, sample: sampleIndices(beta, ids.length, Number(extra().sampleSize ?? ids.length)).map((i) => ids[i]).filter((id) => id !== ctx.self) }
  }
  const withSig = (proof: Uint8Array, sig: Uint8Array): Uint8Array => { const out = new Uint8Array(proof.byteLength + sig.byteLength); out.set(proof); out.set(sig, proof.byteLength); return out }
  /** A prepare and an immediate commit for `side`'s digest to the members of this node's samples on that side. */
  const echo = (side: Side): Fx => {
    const { view, seq, digest } = side.header.msg
    const out: Fx = []
    const p = mine('prepare', view, seq)
    const c = mine('commit', view, seq)
    const pTo = p.sample.filter((id) => side.members.has(id))
    const cTo = c.sample.filter((id) => side.members.has(id))
    if (ctx.self !== side.header.from && pTo.length > 0) out.push({ kind: 'send', to: pTo, msg: signer.sign<Prepare>({ protocol: side.header.msg.protocol, type: 'prepare', view, seq, digest, proof: withSig(p.proof, side.header.sig) }) })
    if (cTo.length > 0) out.push({ kind: 'send', to: cTo, msg: signer.sign<Commit>({ protocol: side.header.msg.protocol, type: 'commit', view, seq, digest, proof: c.proof }) })
    return out
  }
  const honestOthers = (): ValidatorId[] => ctx.others.filter((id) => !coalition.faulty.has(id))
  const key = (view: number, seq: number): string => `${view}/${seq}`
  // Coalition slots this node has voted in; any event of its own sends the votes for the others.
  const echoed = new Set<string>()
  const catchUpEchoes = (): Fx => {
    const out: Fx = []
    for (const [k, sides] of coalition.sides) {
      if (echoed.has(k)) continue
      echoed.add(k)
      out.push(...sides.flatMap(echo))
    }
    return out
  }

  switch (kind) {
    case 'spray-votes':
      return {
        kind,
        effects: (fx) => (fx as Fx).map((e) => e.kind === 'send' && e.msg.from === ctx.self && (e.msg.msg.type === 'prepare' || e.msg.msg.type === 'commit') ? { kind: 'broadcast', msg: e.msg } : e)
      }
    case 'echo-amplify':
    case 'minority-proposal':
      return {
        kind,
        effects: (fx) => [...catchUpEchoes(), ...(fx as Fx).flatMap((e): Fx => {
          if ((e.kind !== 'send' && e.kind !== 'broadcast') || e.msg.from !== ctx.self) return [e]
          const m = e.msg.msg
          // The honest code's resend of a coalition slot's proposal (targeted, so a 'send') goes only where the
          // first one went: the side that got this header, and the faulty.
          if (m.type === 'pre-prepare' && e.kind === 'send' && coalition.sides.has(key(m.view, m.seq))) {
            const side = coalition.sides.get(key(m.view, m.seq))![0].members
            const to = e.to.filter((id) => side.has(id) || coalition.faulty.has(id))
            return to.length > 0 ? [{ kind: 'send', to, msg: e.msg }] : []
          }
          if (m.type === 'pre-prepare' && m.batch !== undefined && e.kind === 'broadcast') {
            const pp = e.msg as Signed<FullPrePrepare>
            let sides: Side[]
            if (kind === 'echo-amplify') {
              const other = otherBatch(m)
              if (other === undefined) return [e]
              const [a, b] = halves(ctx.rng.shuffle(honestOthers()))
              sides = [{ members: new Set(a), header: headerOf(pp) }, { members: new Set(b), header: headerOf(signer.sign(other) as Signed<PrePrepare>) }]
              coalition.sides.set(key(m.view, m.seq), sides)
              echoed.add(key(m.view, m.seq))
              const full = signer.sign(other)
              return [{ kind: 'send', to: [...a, ...coalition.faulty].filter((id) => id !== ctx.self), msg: pp }, { kind: 'send', to: b, msg: full }, ...sides.flatMap(echo)]
            }
            // The minority leaves out the next view's leader, and the faulty do not get the proposal either:
            // their honest code times out with the rest and their view-changes (without certificates) arrive
            // early enough to fill the next leader's quorum before the minority joins.
            let a = coalition.minorities.get(m.view)
            if (a === undefined) {
              const next = ids[(m.view + 1) % ids.length]
              const honest = ctx.rng.shuffle(honestOthers().filter((id) => id !== next))
              a = honest.slice(0, Math.max(1, ids.length - ctx.validators.quorums.quorum))
              coalition.minorities.set(m.view, a)
            }
            sides = [{ members: new Set(a), header: headerOf(pp) }]
            coalition.sides.set(key(m.view, m.seq), sides)
            echoed.add(key(m.view, m.seq))
            return [{ kind: 'send', to: a, msg: pp }, ...sides.flatMap(echo)]
          }
          if (m.type === 'prepare' || m.type === 'commit') {
            const sides = coalition.sides.get(key(m.view, m.seq))
            // Votes for coalition slots were sent at once by echo; others go out as the honest code says.
            if (sides === undefined) return [e]
            if (m.type === 'commit' || echoed.has(key(m.view, m.seq))) return []
            echoed.add(key(m.view, m.seq))
            return sides.flatMap(echo)
          }
          if (m.type === 'view-change' && kind === 'minority-proposal') {
            // Not to the minorities fed so far: they see only the honest view-changes, so they join the view
            // change last and the next leader's first n - f view-changes are likely to leave them all out.
            const fed = new Set([...coalition.minorities].filter(([v]) => v < m.view).flatMap(([, a]) => a))
            return [{ kind: 'send', to: ctx.others.filter((id) => !fed.has(id)), msg: signer.sign<ViewChange>({ ...(m as ViewChange), prepared: [] }) }]
          }
          return [e]
        })]
      }
    case 'forge-certificate':
      return {
        kind,
        // Every vote of its own also goes, for a digest nobody proposed, to the faulty members of its sample;
        // each view-change carries whatever "certificate" the honest code assembled (the forged votes count
        // only with valid samples holding it, so they should never be enough).
        effects: (fx) => (fx as Fx).flatMap((e): Fx => {
          if (e.kind !== 'send' || e.msg.from !== ctx.self) return [e]
          const m = e.msg.msg
          if (m.type !== 'prepare' && m.type !== 'commit') return [e]
          const to = e.to.filter((id) => coalition.faulty.has(id))
          if (to.length === 0) return [e]
          const forged = signer.sign({ ...m, digest: sha256(m.digest) } as Prepare | Commit)
          return [{ kind: 'send', to: e.to.filter((id) => !coalition.faulty.has(id)), msg: e.msg }, { kind: 'send', to, msg: forged }]
        })
      }
  }
  return undefined
}

const halves = (ids: readonly ValidatorId[]): [ValidatorId[], ValidatorId[]] => {
  const mid = Math.ceil(ids.length / 2)
  return [ids.slice(0, mid), ids.slice(mid)]
}

