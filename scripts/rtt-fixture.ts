// Writes test/fixtures/latency/wondernetwork-16.csv: 16 WonderNetwork servers with pings between every pair
// (both directions, avg and mdev rounded to 0.01 ms, min and max left out), so the simulator runs on real RTTs in a
// checkout without ../shared/data.  npx node scripts/rtt-fixture.ts [path to the grouped pings CSV]
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const source = process.argv[2] ?? resolve(root, '..', 'shared', 'data', 'latency', 'wondernetwork', 'pings-2020-07-19-2020-07-20-grouped.csv')
const SERVERS = 16

const links = new Map<string, { avg: number, mdev: number }>()
const ids = new Set<number>()
for (const line of readFileSync(source, 'utf8').split('\n').slice(1)) {
  const [s, d, , avg, , mdev] = line.split(',')
  if (s === undefined || d === undefined || s === d || !(Number(avg) > 0)) continue
  links.set(`${s},${d}`, { avg: Number(avg), mdev: Number(mdev) || 0 })
  ids.add(Number(s))
}

// Every 15th server id in turn (a spread over the list rather than its first entries), kept when it has
// pings to all those already chosen.
const sorted = [...ids].sort((a, b) => a - b)
const chosen: number[] = []
for (let step = 0; chosen.length < SERVERS && step < sorted.length; step++) {
  const id = sorted[(step * 15) % sorted.length]
  if (!chosen.includes(id) && chosen.every((c) => links.has(`${c},${id}`) && links.has(`${id},${c}`))) chosen.push(id)
}
if (chosen.length < SERVERS) throw new Error(`only ${chosen.length} servers with complete pings in ${source}`)

const round = (x: number): string => String(Math.round(x * 100) / 100)
const rows = ['source,destination,min,avg,max,mdev']
for (let i = 0; i < chosen.length; i++) {
  for (let j = 0; j < chosen.length; j++) {
    const p = links.get(`${chosen[i]},${chosen[j]}`)
    if (p === undefined) continue
    rows.push(`${chosen[i]},${chosen[j]},,${round(p.avg)},,${round(p.mdev)}`)
  }
}
const out = resolve(root, 'test', 'fixtures', 'latency', 'wondernetwork-16.csv')
writeFileSync(out, rows.join('\n') + '\n')
console.log(`${out}: servers ${chosen.join(',')}, ${rows.length - 1} pairs`)
