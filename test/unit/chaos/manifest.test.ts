// Chaos manifests: defaults filled, bad fields named; the seeded generator is deterministic, keeps one
// fault at a time and heals before the run ends.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { ManifestError, cutLinks, parseManifest, randomManifest, lastHealS, FAULT_KINDS } from '../../../src/chaos/run/manifest.ts'

const dir = new URL('../../chaos/manifests/', import.meta.url).pathname

test('every shipped manifest parses', () => {
  const files = readdirSync(dir).filter(f => f.endsWith('.json'))
  assert.ok(files.length >= 20, `${files.length} manifests`)
  for (const f of files) {
    const m = parseManifest(JSON.parse(readFileSync(dir + f, 'utf8')))
    assert.ok(lastHealS(m) < m.durationS, `${f} heals before the load ends`)
  }
})

test('bad manifests are refused naming the field', () => {
  const base = { name: 'x', protocol: 'pbft', durationS: 10 }
  for (const [raw, field] of [[null, 'object'], [{ ...base, name: '' }, 'name'], [{ ...base, durationS: 0 }, 'durationS'], [{ ...base, nodes: 3 }, 'nodes'],
    [{ ...base, faults: [{ kind: 'melt', atS: 1 }] }, 'kind'], [{ ...base, faults: [{ kind: 'kill', atS: 1, target: 9 }] }, 'target'],
    [{ ...base, faults: [{ kind: 'partition', atS: 1, forS: 1 }] }, 'groups'], [{ ...base, faults: [{ kind: 'loss', atS: 1, target: 0, percent: 101, forS: 1 }] }, 'percent'],
    [{ ...base, load: { clients: 0 } }, 'load.clients']] as const) {
    assert.throws(() => parseManifest(raw), (e: Error) => e instanceof ManifestError && e.message.includes(field), JSON.stringify(raw))
  }
  const m = parseManifest({ ...base, faults: [{ kind: 'pause', atS: 5, target: 'leader', forS: 1 }, { kind: 'kill', atS: 1, target: 0 }] })
  assert.deepEqual(m.faults.map(f => f.atS), [1, 5], 'sorted by time')
  assert.equal(m.load.clients, 4, 'defaults filled')
})

test('the generator: same seed same schedule, one fault at a time, all healed before the end', () => {
  assert.deepEqual(randomManifest(42, { protocol: 'pbft' }), randomManifest(42, { protocol: 'pbft' }))
  assert.notDeepEqual(randomManifest(42, { protocol: 'pbft' }).faults, randomManifest(43, { protocol: 'pbft' }).faults)
  const kinds = new Set<string>()
  for (let seed = 1; seed <= 100; seed++) {
    const m = parseManifest(JSON.parse(JSON.stringify(randomManifest(seed, { protocol: 'bullshark' }))))
    assert.ok(m.faults.length >= 1)
    assert.ok(lastHealS(m) < m.durationS)
    let freeAt = 0
    for (const f of m.faults) {
      assert.ok(f.atS >= freeAt, `seed ${seed}: faults overlap`)
      freeAt = f.atS + ('forS' in f ? f.forS : (f as { restartAfterS?: number }).restartAfterS ?? 0)
      kinds.add(f.kind)
    }
  }
  assert.deepEqual([...kinds].sort(), [...FAULT_KINDS].sort(), 'every fault kind appears')
})

test('a partition cuts exactly the links between nodes that share no group; a node in two groups bridges them', () => {
  const halves = cutLinks([[0, 1], [2, 3]])
  assert.deepEqual(halves.get(0), [2, 3])
  assert.deepEqual(halves.get(3), [0, 1])
  const bridge = cutLinks([[0, 1], [1, 2, 3]])
  assert.deepEqual(bridge.get(1), [], 'the bridge reaches everyone')
  assert.deepEqual(bridge.get(0), [2, 3])
  assert.deepEqual(bridge.get(2), [0])
  const manifest = parseManifest(JSON.parse(readFileSync(new URL('../../chaos/manifests/partition-bridge.json', import.meta.url), 'utf8')))
  const f = manifest.faults[0]
  assert.equal(f.kind, 'partition')
  assert.deepEqual(f.kind === 'partition' ? f.groups : null, [[0, 1], [1, 2, 3]])
})
