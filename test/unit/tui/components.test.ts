// Frame checks of the status TUI's components, rendered with ink-testing-library from fixture StatusJson.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import React from 'react'
import { render } from 'ink-testing-library'
import { EventsView, HealthView, PeerTable, StatusScreen, Summary } from '../../../src/tui/components.ts'
import { emptyView, withError, withStatus, type TargetView } from '../../../src/tui/model.ts'
import { IDS, fixtureStatus, fixtureTarget } from './fixtures.ts'

const h = React.createElement

function views (n = 4): TargetView[] {
  return Array.from({ length: n }, (_, i) => withStatus(emptyView(fixtureTarget(`node-${i}`, () => fixtureStatus({}, i))), fixtureStatus({}, i), 1000))
}

function frame (el: React.ReactElement): string {
  const r = render(el)
  const out = r.lastFrame() ?? ''
  r.unmount()
  return out
}

test('summary: protocol, n and f, height, view and leader (named when watched), committed tx, latency', () => {
  const f = frame(h(Summary, { status: fixtureStatus(), tps: [1, 5, 10], views: views() }))
  assert.match(f, /protocol pbft/)
  assert.match(f, /n=4 f=1/)
  assert.match(f, /height 1,234/)
  assert.match(f, /view 2/)
  assert.match(f, /leader …node2222 \(node-2\)/)
  assert.match(f, /committed 56,789 tx/)
  assert.match(f, /tps\(1m\) 322/)
  assert.match(f, /p50 12\.3 ms/)
  assert.match(f, /p99 45\.6 ms/)
  assert.match(f, /up 2m05s/)
})

test('summary: the tps sparkline scales to the window maximum', () => {
  const f = frame(h(Summary, { status: fixtureStatus(), tps: [0, 5, 10], views: [] }))
  assert.match(f, /tps ▁▅█ 10\.0\/s/)
  assert.match(frame(h(Summary, { status: fixtureStatus(), tps: [], views: [] })), /tps \(collecting\)/)
})

test('summary: a DAG protocol shows its round, DAG size and last anchor instead of the height', () => {
  const f = frame(h(Summary, { status: fixtureStatus({ protocol: 'bullshark', round: 88, dagSize: 352, lastAnchor: 86, view: null, leader: null }), tps: [], views: [] }))
  assert.match(f, /round 88 {2}dag 352 {2}anchor 86/)
  assert.doesNotMatch(f, /height 1,234/)
  assert.match(f, /view - {3}leader -/)
})

test('peer table: id, address without /p2p, connected, RTT, msgs/s and reliability (null until the models exist)', () => {
  const f = frame(h(PeerTable, { peers: fixtureStatus().peers, views: views() }))
  const lines = f.split('\n')
  assert.match(f, /peers 2\/3 connected/)
  assert.match(f, /id +address +connected +RTT +msgs\/s +tier +circuit +reliability/)
  const row1 = lines.find(l => l.includes('node1111'))
  assert.ok(row1 != null, f)
  assert.match(row1, /…node1111 node-1 +\/ip4\/127\.0\.0\.1\/tcp\/4001 +yes +3 ms +10\.0 +2 +closed +null/)
  const row3 = lines.find(l => l.includes('node3333'))
  assert.ok(row3 != null, f)
  assert.match(row3, /no +- +30\.0 +- +- +null/)
  assert.match(frame(h(PeerTable, { peers: [] })), /\(no peers\)/)
})

test('health: overall status and each component with its circuit state and restarts', () => {
  const f = frame(h(HealthView, { health: fixtureStatus().health }))
  assert.match(f, /status degraded/)
  assert.match(f, /net +ok +circuit closed +restarts 0/)
  assert.match(f, /consensus +degraded +circuit half-open +restarts 2/)
  assert.match(f, /storage +ok +circuit - +restarts 0/)
})

test('events: the most recent ones with level', () => {
  const f = frame(h(EventsView, { events: fixtureStatus().events }))
  assert.match(f, /info +node started as validator/)
  assert.match(f, /warn +view change to view 2/)
  const many = Array.from({ length: 20 }, (_, i) => ({ at: '2026-01-01T10:00:00.000Z', level: 'info' as const, msg: `event number ${i}` }))
  const g = frame(h(EventsView, { events: many, max: 3 }))
  assert.doesNotMatch(g, /event number 16\b/)
  assert.match(g, /event number 17/)
  assert.match(g, /event number 19/)
})

test('screen: header names the node, its place among the watched ones, pause and help', () => {
  const vs = views()
  const f = frame(h(StatusScreen, { views: vs, index: 1, paused: true, help: true, now: 2000 }))
  assert.match(f, /NovaCron status {2}node-1 \(2\/4\) {2}http:\/\/127\.0\.0\.1\/node-1 {2}PAUSED/)
  assert.match(f, /q quit/)
  assert.match(f, /keys/)
  assert.match(f, /tab +next node/)
  assert.ok(f.includes(IDS[1]), 'the node id of the shown node')
})

test('screen: an unreachable node is said plainly, with the last status kept and its age', () => {
  const v = withError(views(1)[0], new Error('cannot reach the node at http://127.0.0.1/node-0 (ECONNREFUSED)'))
  const f = frame(h(StatusScreen, { views: [v], index: 0, paused: false, help: false, now: 6000 }))
  assert.match(f, /cannot reach node-0 at http:\/\/127\.0\.0\.1\/node-0/)
  assert.match(f, /ECONNREFUSED/)
  assert.match(f, /retrying every second; last update 5 s ago/)
  assert.match(f, /height 1,234/)
  const never = withError(emptyView(fixtureTarget('far', () => new Error('x'))), new Error('cannot reach the node'))
  const g = frame(h(StatusScreen, { views: [never], index: 0, paused: false, help: false, now: 6000 }))
  assert.match(g, /cannot reach far/)
  assert.doesNotMatch(g, /last update/)
})
