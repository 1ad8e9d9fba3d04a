// Aggregation along the topology, and what a round costs in bytes on every link. A tree of relays sends
// exactly one model up per non-root node, as a star does: the total is the same, only the root's inbound
// bytes and the critical path shrink. Saving bytes therefore takes fewer rounds (better selection).

export interface Link { mbps: number, rttMs: number }

/** Seconds to move `bytes` over a link: one RTT plus serialisation. */
export const transferS = (bytes: number, l: Link): number => l.rttMs / 1000 + (bytes * 8) / (Math.max(1e-6, l.mbps) * 1e6)

/**
 * A relay tree rooted at the coordinator (Prim-like): repeatedly attach the client whose upload reaches
 * the root soonest through an already attached node, at most `fanIn` children per node. `link(a, b)` is
 * the measured link between two nodes. Returns child -> parent.
 */
export function relayTree (root: string, clients: readonly string[], link: (a: string, b: string) => Link, bytes: number, fanIn = 4): Map<string, string> {
  const parent = new Map<string, string>()
  const arrival = new Map<string, number>([[root, 0]])
  const children = new Map<string, number>()
  const left = new Set(clients.filter(c => c !== root))
  while (left.size > 0) {
    let best: { c: string, p: string, t: number } | null = null
    for (const c of left) {
      for (const [p, tp] of arrival) {
        if ((children.get(p) ?? 0) >= fanIn) continue
        const t = tp + transferS(bytes, link(c, p))
        if (best == null || t < best.t || (t === best.t && c < best.c)) best = { c, p, t }
      }
    }
    if (best == null) throw new RangeError('relayTree: no parent has room (fanIn too small)')
    parent.set(best.c, best.p)
    arrival.set(best.c, best.t)
    children.set(best.p, (children.get(best.p) ?? 0) + 1)
    left.delete(best.c)
  }
  return parent
}

export interface Message { from: string, to: string, bytes: number, kind: 'model' | 'update' | 'report' }

/**
 * Every message of one round. Down: the global model to each participant (from its parent in a tree).
 * Up: each participant's update (a relay's carries its whole subtree's average and sample count, the
 * same size). Reports: the selector's metadata (Oort's loss, TCS's data summary), sent to the root.
 */
export function roundMessages (root: string, participants: readonly string[], sizes: { model: number, update: (id: string) => number, report: number }, parent?: ReadonlyMap<string, string>): Message[] {
  const out: Message[] = []
  for (const id of participants) {
    if (id === root) continue
    const up = parent?.get(id) ?? root
    out.push({ from: up, to: id, bytes: sizes.model, kind: 'model' })
    out.push({ from: id, to: up, bytes: sizes.update(id), kind: 'update' })
    if (sizes.report > 0) out.push({ from: id, to: root, bytes: sizes.report, kind: 'report' })
  }
  return out
}

export interface Traffic { total: number, rootIn: number, rootOut: number, links: number }

export function traffic (root: string, messages: readonly Message[]): Traffic {
  const links = new Set(messages.map(m => `${m.from}>${m.to}`))
  return {
    total: messages.reduce((a, m) => a + m.bytes, 0),
    rootIn: messages.filter(m => m.to === root).reduce((a, m) => a + m.bytes, 0),
    rootOut: messages.filter(m => m.from === root).reduce((a, m) => a + m.bytes, 0),
    links: links.size
  }
}

/** The formula: k participants other than the root, each one model down, one update up, one report. */
export const roundBytesFormula = (k: number, model: number, update: number, report: number): number => k * (model + update + report)
