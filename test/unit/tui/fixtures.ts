// Fixture StatusJson for the TUI tests: a 4-node PBFT devnet seen from node-0.
import type { StatusJson } from '../../../src/api/types.ts'
import type { StatusTarget } from '../../../src/tui/model.ts'

export const IDS = ['12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAnode0000', '12D3KooWBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBnode1111', '12D3KooWCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCnode2222', '12D3KooWDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDnode3333']

export function fixtureStatus (over: Partial<StatusJson> = {}, self = 0): StatusJson {
  return {
    nodeId: IDS[self],
    genesisHash: 'ab'.repeat(32),
    cluster: 'devnet',
    protocol: 'pbft',
    n: 4,
    f: 1,
    role: 'validator',
    height: 1234,
    view: 2,
    leader: IDS[2],
    round: null,
    dagSize: null,
    lastAnchor: null,
    stateRoot: 'ab'.repeat(32),
    committedTx: 56789,
    tps1m: 321.5,
    commitLatencyMs: { p50: 12.3, p99: 45.6 },
    mempool: 7,
    uptimeS: 125,
    listen: ['/ip4/127.0.0.1/tcp/4000'],
    storage: { journalMode: 'wal', synchronous: 'full' },
    peers: IDS.filter((_, i) => i !== self).map((id, i) => ({
      id,
      addr: `/ip4/127.0.0.1/tcp/${4001 + i}/p2p/${id}`,
      connected: i !== 2,
      latencyMs: i === 2 ? null : 3 + i,
      msgsPerS: 10 * (i + 1),
      tier: i === 2 ? null : 2,
      reliability: null,
      circuit: i === 2 ? null : 'closed',
      validator: true,
      consensus: i === 2 ? 'closed' : 'open'
    })),
    health: {
      status: 'degraded',
      components: [
        { name: 'net', status: 'ok', circuit: 'closed', restarts: 0 },
        { name: 'storage', status: 'ok', circuit: null, restarts: 0 },
        { name: 'consensus', status: 'degraded', circuit: 'half-open', restarts: 2 }
      ]
    },
    events: [
      { at: '2026-01-01T10:00:00.000Z', level: 'info', msg: 'node started as validator of cluster devnet (pbft)' },
      { at: '2026-01-01T10:00:05.000Z', level: 'warn', msg: 'view change to view 2' }
    ],
    ...over
  }
}

/** A target whose status is whatever `next()` gives: a status, or an Error to throw. */
export function fixtureTarget (label: string, next: () => StatusJson | Error): StatusTarget & { calls: number } {
  const t = {
    label,
    url: `http://127.0.0.1/${label}`,
    calls: 0,
    status: async (): Promise<StatusJson> => {
      t.calls++
      const v = next()
      if (v instanceof Error) throw v
      return v
    }
  }
  return t
}
