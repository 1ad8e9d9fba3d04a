import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { canonicalJson, faultTolerance, genesisHash, parseGenesis, parseValidatorSpec, peerIdFromPublicKey, type Genesis } from '../../../src/config/genesis.ts'
import type { NovacronError } from '../../../src/config/errors.ts'

function validator (port: number): { peerId: string, publicKey: string, addr: string } {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' })
  const publicKey = der.subarray(der.length - 32).toString('hex')
  return { peerId: peerIdFromPublicKey(publicKey), publicKey, addr: `/ip4/127.0.0.1/tcp/${port}` }
}

function genesis (overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: 1, cluster: 'test', protocol: 'pbft', createdAt: '2026-01-01T00:00:00Z', validators: [validator(1), validator(2), validator(3), validator(4)], ...overrides }
}

test('a valid genesis parses; params left out take the protocol\'s defaults later', () => {
  const g = parseGenesis(genesis())
  assert.equal(g.validators.length, 4)
  assert.equal(faultTolerance(g.validators.length), 1)
  assert.deepEqual(g.params, {})
  assert.match(g.validators[0].peerId, /^12D3KooW/)
})

test('the hash ignores formatting and key order but not content', () => {
  const raw = genesis()
  const g = parseGenesis(raw)
  const reordered = parseGenesis(JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(raw).reverse()))))
  assert.equal(genesisHash(g), genesisHash(reordered))
  const other: Genesis = { ...g, cluster: 'other' }
  assert.notEqual(genesisHash(g), genesisHash(other))
  assert.equal(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] }), '{"a":[2,{"c":2,"d":1}],"b":1}')
})

test('malformed genesis files are refused with a reason', () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /expected a JSON object/],
    [genesis({ version: 2 }), /unsupported genesis version/],
    [genesis({ protocol: 'Raft!' }), /protocol must be a protocol name/],
    [genesis({ validators: [] }), /non-empty/],
    [genesis({ cluster: '../x' }), /cluster must be/],
    [genesis({ params: { batchSize: -1 } }), /params.batchSize/],
    [genesis({ params: { 'warp drive': 9 } }), /not a parameter name/]
  ]
  for (const [raw, re] of cases) assert.throws(() => parseGenesis(raw), (err: NovacronError) => err.kind === 'config' && re.test(err.message), String(re))
})

test('a validator whose public key does not match its peer id is refused', () => {
  const a = validator(1)
  const b = validator(2)
  assert.throws(() => parseGenesis(genesis({ validators: [{ ...a, publicKey: b.publicKey }] })), /does not belong to peer/)
  assert.throws(() => parseGenesis(genesis({ validators: [a, a] })), /listed twice/)
})

test('validator specs from the command line', () => {
  const v = validator(7400)
  assert.deepEqual(parseValidatorSpec(`${v.peerId}=${v.publicKey}@${v.addr}`), v)
  assert.throws(() => parseValidatorSpec('garbage'), (err: NovacronError) => err.kind === 'usage')
  assert.throws(() => parseValidatorSpec(`${v.peerId}=${v.publicKey}@/ip4/1.2.3.4/udp/1`), (err: NovacronError) => err.kind === 'usage')
})
