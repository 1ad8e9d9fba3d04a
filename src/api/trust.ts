// The admin API's read-only view of T-PBFT trust: `GET /v1/trust[?epoch=E]` answers an epoch's ranking with
// each validator's trust and evidence counts, from a TrustSource the running protocol supplies. A node whose
// protocol has none (pbft, bullshark, ...) answers 404 with the reason, which the CLI turns into a usage
// error (exit 2): the command does not apply to that cluster.
//
// API: TrustSource { epochs(); epoch(e) } (what the protocol implements), trustSourceOf(protocol) (finds a
// `trustSource()` method on a protocol object), trustJson(view, epochs, protocol) (the JSON of CLI.md's
// `trust show --json`), registerTrustRoutes(api, { protocol, source }).
import type { EpochConfig } from '../consensus/tpbft/epoch.ts'
import type { EvidenceCounts } from '../consensus/tpbft/evidence.ts'
import { ApiError } from './server.ts'
import type { AdminApi } from './server.ts'
import type { TrustEpochJson } from './types.ts'

/** One epoch as a node holds it: the configuration and the evidence counts it was computed from (one
 *  entry per validator, any order). */
export type TrustEpochView = EpochConfig & { readonly counts: readonly EvidenceCounts[] }

export interface TrustSource {
  /** Epochs whose configuration this node holds, ascending. */
  epochs (): readonly number[]
  epoch (epoch: number): TrustEpochView | undefined
}

/** A protocol object's trust source, when it has one (T-PBFT defines `trustSource()`). */
export function trustSourceOf (protocol: unknown): TrustSource | null {
  const get = (protocol as { trustSource?: unknown } | null | undefined)?.trustSource
  if (typeof get !== 'function') return null
  const source = (get as () => TrustSource | null | undefined).call(protocol)
  return source ?? null
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const Q32 = 2 ** 32

export function trustJson (view: TrustEpochView, epochs: readonly number[], protocol: string): TrustEpochJson {
  const counts = new Map(view.counts.map((c) => [c.id, c]))
  const convicted = new Set(view.convicted)
  return {
    protocol,
    epoch: view.epoch,
    epochs: [...epochs],
    hash: hex(view.hash),
    checkpointRoot: hex(view.checkpointRoot),
    previousHash: hex(view.previousHash),
    groupSize: view.groupSize,
    eligible: view.eligible,
    evidenceEpochs: view.evidenceTo < view.evidenceFrom ? null : { from: view.evidenceFrom, to: view.evidenceTo },
    groups: view.groups.map((g) => [...g]),
    fallback: [...view.fallback],
    ranking: view.ranking.map((id, i) => {
      const c = counts.get(id)
      return {
        rank: i + 1,
        id,
        trust: view.trust[i] / Q32,
        trustQ32: view.trust[i],
        eligible: i < view.eligible,
        convicted: convicted.has(id),
        windows: view.groups.flatMap((g, w) => (g.includes(id) ? [w] : [])),
        evidence: {
          agreements: c?.agreements ?? 0,
          coSigned: c?.coSigned ?? 0,
          innerComplaints: c?.innerComplaints ?? 0,
          viewChangeBlames: c?.viewChangeBlames ?? 0,
          convictedAt: c?.convictedAt ?? null
        }
      }
    })
  }
}

export interface TrustRouteOptions {
  /** The cluster's protocol (genesis), for the answer on a node without trust. */
  readonly protocol: string
  /** Looked up per request: the protocol may start after the routes are registered. */
  readonly source: () => TrustSource | null
}

export function registerTrustRoutes (api: Pick<AdminApi, 'route'>, opts: TrustRouteOptions): void {
  api.route('GET', '/v1/trust', (req) => {
    const source = opts.source()
    if (source == null) throw new ApiError(404, 'not_applicable', `this cluster runs ${opts.protocol}; trust applies to tpbft`)
    const epochs = source.epochs()
    const asked = req.query.get('epoch')
    let epoch: number
    if (asked == null || asked === '') {
      if (epochs.length === 0) throw new ApiError(404, 'not_found', 'no epoch configuration yet')
      epoch = epochs[epochs.length - 1]
    } else {
      epoch = Number(asked)
      if (!/^\d{1,15}$/.test(asked) || !Number.isSafeInteger(epoch)) throw new ApiError(400, 'bad_request', `epoch must be a non-negative integer, got ${JSON.stringify(asked.slice(0, 40))}`)
    }
    const view = source.epoch(epoch)
    if (view === undefined) {
      const held = epochs.length === 0 ? 'none yet' : epochs.length === 1 ? `only ${epochs[0]}` : `${epochs[0]}..${epochs[epochs.length - 1]}`
      throw new ApiError(404, 'not_found', `this node holds no configuration of epoch ${epoch} (it holds ${held})`)
    }
    return { json: trustJson(view, epochs, opts.protocol) }
  })
}
