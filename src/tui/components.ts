// The status screen as Ink components. Written with React.createElement (type stripping has no TSX).
// Every component is a pure function of its props, so the tests render them with fixture StatusJson.
import React from 'react'
import { Box, Text } from 'ink'
import type { EventJson, HealthJson, PeerJson, StatusJson } from '../api/types.ts'
import { fmtClock, fmtInt, fmtMs, fmtRate, fmtUptime, labelOf, shortId, sparkline, type TargetView } from './model.ts'

const h = React.createElement
type Node = React.ReactElement

const statusColor = (s: string): string => s === 'ok' ? 'green' : s === 'degraded' ? 'yellow' : 'red'

function Section ({ title, children }: { title: string, children?: React.ReactNode }): Node {
  return h(Box, { flexDirection: 'column', borderStyle: 'round', borderColor: 'gray', paddingX: 1 },
    h(Text, { bold: true, color: 'cyan' }, title),
    children)
}

export function Header ({ views, index, paused }: { views: readonly TargetView[], index: number, paused: boolean }): Node {
  const v = views[index]
  return h(Box, null,
    h(Text, null,
      h(Text, { bold: true }, 'NovaCron status  '),
      h(Text, { color: 'cyan' }, v.target.label),
      views.length > 1 ? h(Text, { dimColor: true }, ` (${index + 1}/${views.length})`) : null,
      h(Text, { dimColor: true }, `  ${v.target.url}`),
      paused ? h(Text, { color: 'yellow', bold: true }, '  PAUSED') : null))
}

export function Summary ({ status, tps, views }: { status: StatusJson, tps: readonly number[], views: readonly TargetView[] }): Node {
  const s = status
  const leaderLabel = labelOf(views, s.leader)
  const position = s.round != null
    ? `round ${fmtInt(s.round)}${s.dagSize != null ? `  dag ${fmtInt(s.dagSize)}` : ''}${s.lastAnchor != null ? `  anchor ${fmtInt(s.lastAnchor)}` : ''}`
    : `height ${fmtInt(s.height)}`
  return h(Section, { title: 'cluster' },
    h(Text, null, `cluster ${s.cluster}   protocol ${s.protocol}   n=${s.n} f=${s.f}   ${s.role}   up ${fmtUptime(s.uptimeS)}`),
    h(Text, null,
      h(Text, { bold: true }, position),
      `   view ${s.view ?? '-'}   leader ${s.leader == null ? '-' : shortId(s.leader)}${leaderLabel != null ? ` (${leaderLabel})` : ''}${s.leader != null && s.leader === s.nodeId ? ' (this node)' : ''}`),
    h(Text, null, `committed ${fmtInt(s.committedTx)} tx   tps(1m) ${fmtRate(s.tps1m)}   mempool ${fmtInt(s.mempool)}`),
    h(Text, null,
      'tps ',
      h(Text, { color: 'green' }, tps.length > 0 ? sparkline(tps, 40) : '(collecting)'),
      tps.length > 0 ? ` ${fmtRate(tps[tps.length - 1])}/s` : ''),
    h(Text, null, `commit latency p50 ${fmtMs(s.commitLatencyMs.p50)}   p99 ${fmtMs(s.commitLatencyMs.p99)}`),
    h(Text, { dimColor: true }, `node ${s.nodeId}${s.stateRoot != null ? `   state root ${s.stateRoot.slice(0, 16)}…` : ''}`))
}

const PEER_HEAD = ['id', 'address', 'connected', 'RTT', 'msgs/s', 'tier', 'circuit', 'reliability']
const PEER_WIDTH = [16, 24, 9, 7, 7, 4, 9, 11]

function cells (values: string[]): string {
  return values.map((v, i) => (v.length > PEER_WIDTH[i] ? v.slice(0, PEER_WIDTH[i] - 1) + '…' : v).padEnd(PEER_WIDTH[i])).join(' ')
}

function shortAddr (addr: string | null): string {
  if (addr == null) return '-'
  return addr.replace(/\/p2p\/[^/]+$/, '')
}

export function PeerTable ({ peers, views = [] }: { peers: readonly PeerJson[], views?: readonly TargetView[] }): Node {
  const connected = peers.filter(p => p.connected).length
  return h(Section, { title: `peers ${connected}/${peers.length} connected` },
    h(Text, { bold: true }, cells(PEER_HEAD)),
    peers.length === 0
      ? h(Text, { dimColor: true }, '(no peers)')
      : peers.map(p => {
        const label = labelOf(views, p.id)
        const row = cells([label != null ? `${shortId(p.id)} ${label}` : shortId(p.id), shortAddr(p.addr), p.connected ? 'yes' : 'no',
          p.latencyMs == null ? '-' : `${Math.round(p.latencyMs)} ms`, fmtRate(p.msgsPerS), p.tier == null ? '-' : String(p.tier), p.circuit ?? '-',
          p.reliability == null ? 'null' : p.reliability.toFixed(2)])
        const at = PEER_WIDTH[0] + PEER_WIDTH[1] + 2
        return h(Text, { key: p.id },
          row.slice(0, at),
          h(Text, { color: p.connected ? 'green' : 'red' }, row.slice(at, at + PEER_WIDTH[2])),
          row.slice(at + PEER_WIDTH[2]))
      }))
}

export function HealthView ({ health }: { health: HealthJson }): Node {
  return h(Section, { title: 'health' },
    h(Text, null, 'status ', h(Text, { color: statusColor(health.status), bold: true }, health.status)),
    ...health.components.map(c => h(Text, { key: c.name },
      `${c.name.padEnd(10)} `,
      h(Text, { color: statusColor(c.status) }, c.status.padEnd(8)),
      ` circuit ${(c.circuit ?? '-').padEnd(9)} restarts ${c.restarts}`)))
}

export function EventsView ({ events, max = 6 }: { events: readonly EventJson[], max?: number }): Node {
  const recent = events.slice(-max)
  return h(Section, { title: 'recent events' },
    recent.length === 0
      ? h(Text, { dimColor: true }, '(none)')
      : recent.map((e, i) => h(Text, { key: i },
        h(Text, { dimColor: true }, fmtClock(e.at) + ' '),
        h(Text, { color: e.level === 'error' ? 'red' : e.level === 'warn' ? 'yellow' : undefined }, e.level.padEnd(5)),
        ' ' + e.msg)))
}

export function HelpView (): Node {
  return h(Section, { title: 'keys' },
    h(Text, null, 'q, Ctrl-C   quit'),
    h(Text, null, 'tab         next node (shift-tab: previous)'),
    h(Text, null, 'p           pause or resume refreshing'),
    h(Text, null, '?           show or hide this help'),
    h(Text, { dimColor: true }, 'Refreshes every second. Nodes: the devnet of --data-dir, or each --node URL given.'))
}

export function Unreachable ({ view, now }: { view: TargetView, now: number }): Node {
  const since = view.lastOkAt != null ? `; last update ${Math.round((now - view.lastOkAt) / 1000)} s ago` : ''
  return h(Box, { borderStyle: 'round', borderColor: 'red', paddingX: 1, flexDirection: 'column' },
    h(Text, { color: 'red', bold: true }, `cannot reach ${view.target.label} at ${view.target.url}`),
    h(Text, null, `${view.error ?? ''}`),
    h(Text, { dimColor: true }, `retrying every second${since}`))
}

export interface ScreenProps {
  views: readonly TargetView[]
  index: number
  paused: boolean
  help: boolean
  now: number
}

export function StatusScreen ({ views, index, paused, help, now }: ScreenProps): Node {
  const v = views[index]
  const s = v.status
  return h(Box, { flexDirection: 'column' },
    h(Header, { views, index, paused }),
    help ? h(HelpView) : null,
    v.error != null ? h(Unreachable, { view: v, now }) : null,
    s == null
      ? (v.error == null ? h(Text, { dimColor: true }, `connecting to ${v.target.url} …`) : null)
      : h(Box, { flexDirection: 'column' },
        h(Summary, { status: s, tps: v.tps, views }),
        h(PeerTable, { peers: s.peers, views }),
        h(Box, null,
          h(Box, { width: 52, flexShrink: 0 }, h(HealthView, { health: s.health })),
          h(Box, { flexGrow: 1 }, h(EventsView, { events: s.events })))),
    h(Text, { dimColor: true }, 'tab next node · p pause · ? help · q quit'))
}
