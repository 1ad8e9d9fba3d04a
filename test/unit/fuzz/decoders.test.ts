// Structure-aware fuzzing of every decoder of outside input (test/fuzz/targets.ts): random bytes, and
// seeds from test/fixtures/fuzz mutated (bit flips, overwritten lengths, insertions, deletions,
// truncations, splices). Inside `npm test`: 50,000 inputs in all, from a fixed seed; `npm run fuzz`
// runs NOVACRON_FUZZ_RUNS per target from a random seed (printed, so a failure replays).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fuzzTargets, seedsOf, type FuzzTarget } from '../../fuzz/targets.ts'

const targets = fuzzTargets()
const TOTAL = 50_000
const runsPerTarget = Number(process.env.NOVACRON_FUZZ_RUNS ?? Math.ceil(TOTAL / targets.length))
const seed = Number(process.env.NOVACRON_FUZZ_SEED ?? (process.env.NOVACRON_FUZZ_RANDOM === '1' ? Date.now() % 2 ** 31 : 20261202))
const BOUNDARY = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff]

type Mutation = (b: Uint8Array, other: Uint8Array) => Uint8Array
const at = (b: Uint8Array, p: number): number => b.byteLength === 0 ? 0 : p % b.byteLength

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([p, bit]): Mutation => b => { const c = b.slice(); if (c.byteLength > 0) c[at(c, p)] ^= 1 << bit; return c }),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([p, v]): Mutation => b => { const c = b.slice(); if (c.byteLength > 0) c[at(c, p)] = v; return c }),
  fc.tuple(fc.nat(), fc.constantFrom(...BOUNDARY), fc.constantFrom(1, 2, 4, 8)).map(([p, v, width]): Mutation => b => {
    // A length or count field set to a boundary value.
    const c = Buffer.from(b)
    const o = at(c, p)
    if (o + width > c.byteLength) return c
    if (width === 1) c.writeUInt8(v & 0xff, o)
    else if (width === 2) c.writeUInt16BE(v & 0xffff, o)
    else if (width === 4) c.writeUInt32BE(v >>> 0, o)
    else c.writeBigUInt64BE(BigInt(v) * 0x100000001n, o)
    return c
  }),
  fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 16 })).map(([p, ins]): Mutation => b => Buffer.concat([b.subarray(0, at(b, p)), ins, b.subarray(at(b, p))])),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(([p, n]): Mutation => b => Buffer.concat([b.subarray(0, at(b, p)), b.subarray(at(b, p) + n)])),
  fc.nat().map((p): Mutation => b => b.subarray(0, at(b, p))),
  fc.tuple(fc.nat(), fc.nat()).map(([p, q]): Mutation => (b, other) => Buffer.concat([b.subarray(0, at(b, p)), other.subarray(at(other, q))]))
)

function inputs (t: FuzzTarget): fc.Arbitrary<Uint8Array> {
  const seeds = seedsOf(t.name)
  assert.ok(seeds.length > 0, `no seeds for ${t.name} in test/fixtures/fuzz (run: npx node scripts/fuzz-corpus.ts)`)
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([s, other, ms]) => ms.reduce((b, m) => m(b, other), s as Uint8Array))
  const random = t.kind === 'bytes'
    ? fc.uint8Array({ maxLength: 512 })
    : fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }).map(v => JSON.stringify({ format: 'novacron-history/1', ops: [v, v], logs: { a: [v] } })))
      .map(s => Uint8Array.from(Buffer.from(s, 'utf8')))
  return fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: random, weight: 1 }, { arbitrary: fc.constantFrom(...seeds), weight: 1 })
}

let total = 0
for (const t of targets) {
  test(`fuzz ${t.name}: ${runsPerTarget} inputs, nothing escapes but the typed decode error`, () => {
    fc.assert(fc.property(inputs(t), input => { total++; t.run(input) }), { numRuns: runsPerTarget, seed, endOnFailure: true })
  })
}

test('fuzz inputs in all', () => {
  assert.ok(total >= Math.min(TOTAL, runsPerTarget * targets.length), `${total} inputs`)
  console.log(`# fuzzed ${total} inputs over ${targets.length} targets (seed ${seed})`)
})
