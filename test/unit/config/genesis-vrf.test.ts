// The optional per-validator VRF public key in genesis: older files without it still load with the same
// hash, a malformed, foreign or duplicated key is refused with a reason, `--validator` specs carry it, and the
// helper a VRF protocol uses names the validators that lack one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { genesisHash, parseGenesis, parseValidatorSpec, peerIdFromPublicKey, validatorVrfPublicKeys } from '../../../src/config/genesis.ts'
import type { NovacronError } from '../../../src/config/errors.ts'
import { vrfKeyFromSeed } from '../../../src/crypto/vrf.ts'

function ed25519Hex (): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' })
  return der.subarray(der.length - 32).toString('hex')
}

function vrfHex (i: number): string {
  return Buffer.from(vrfKeyFromSeed(new Uint8Array(32).fill(i + 1)).publicKey).toString('hex')
}

function validator (i: number, vrf = true): Record<string, string> {
  const publicKey = ed25519Hex()
  return { peerId: peerIdFromPublicKey(publicKey), publicKey, addr: `/ip4/127.0.0.1/tcp/${7400 + i}`, ...(vrf ? { vrfPublicKey: vrfHex(i) } : {}) }
}

function genesis (validators: Array<Record<string, string>>): Record<string, unknown> {
  return { version: 1, cluster: 'test', protocol: 'pbft', createdAt: '2026-01-01T00:00:00Z', validators }
}

const refused = (re: RegExp) => (err: NovacronError) => err.kind === 'config' && re.test(err.message)

test('a genesis without VRF keys loads unchanged (no field added, same hash); one with them keeps them', () => {
  const plain = genesis([validator(0, false), validator(1, false), validator(2, false), validator(3, false)])
  const g = parseGenesis(plain)
  assert.ok(g.validators.every(v => !('vrfPublicKey' in v)))
  assert.equal(genesisHash(g), genesisHash(parseGenesis(JSON.parse(JSON.stringify(plain)))))
  assert.deepEqual(validatorVrfPublicKeys(g, { required: false }), new Map())
  const vs = [validator(0), validator(1), validator(2), validator(3)]
  const withVrf = parseGenesis(genesis(vs))
  assert.deepEqual(withVrf.validators.map(v => v.vrfPublicKey), vs.map(v => v.vrfPublicKey))
  assert.notEqual(genesisHash(withVrf), genesisHash(parseGenesis(genesis(vs.map(({ vrfPublicKey: _, ...v }) => v)))))
  const keys = validatorVrfPublicKeys(withVrf)
  assert.equal(keys.size, 4)
  assert.equal(Buffer.from(keys.get(vs[2].peerId) ?? []).toString('hex'), vs[2].vrfPublicKey)
})

test('bad VRF keys are refused with a clear message', () => {
  const good = validator(0)
  const cases: Array<[unknown, RegExp]> = [
    ['zz'.repeat(32), /vrfPublicKey must be lowercase hex/],
    [good.vrfPublicKey.toUpperCase(), /lowercase hex/],
    [42, /lowercase hex/],
    [good.vrfPublicKey.slice(0, 62), /64 hex characters \(32 bytes\), got 62/],
    [good.vrfPublicKey + '00', /64 hex characters/],
    ['', /64 hex characters/],
    // the identity and another small-order point
    ['01' + '00'.repeat(31), /not a valid ECVRF public key/],
    ['ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', /not a valid ECVRF public key/],
    // y = p + 3: a non-canonical encoding of a valid point
    ['f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', /not a valid ECVRF public key/],
    [good.publicKey, /must not be the signing key/]
  ]
  for (const [vrfPublicKey, re] of cases) {
    assert.throws(() => parseGenesis(genesis([{ ...good, vrfPublicKey } as Record<string, string>, validator(1)])), refused(re), `${String(vrfPublicKey)} ${String(re)}`)
  }
})

test('two validators with the same VRF key are refused, naming both', () => {
  const a = validator(0)
  const b: Record<string, string> = { ...validator(1), vrfPublicKey: a.vrfPublicKey }
  assert.throws(() => parseGenesis(genesis([a, b, validator(2), validator(3)])), refused(new RegExp(`validators ${a.peerId} and ${b.peerId} have the same vrfPublicKey`)))
})

test('a VRF protocol is told which validators lack a key', () => {
  const vs = [validator(0), validator(1, false), validator(2), validator(3, false)]
  const g = parseGenesis(genesis(vs))
  assert.throws(() => validatorVrfPublicKeys(g), refused(new RegExp(`2 of 4 validators have no vrfPublicKey \\(${vs[1].peerId}, ${vs[3].peerId}\\)`)))
  assert.equal(validatorVrfPublicKeys(g, { required: false }).size, 2)
})

test('--validator specs carry the VRF key after ",vrf="', () => {
  const v = validator(9)
  assert.deepEqual(parseValidatorSpec(`${v.peerId}=${v.publicKey},vrf=${v.vrfPublicKey}@${v.addr}`), v)
  const { vrfPublicKey: _, ...plain } = v
  assert.deepEqual(parseValidatorSpec(`${v.peerId}=${v.publicKey}@${v.addr}`), plain)
  assert.throws(() => parseValidatorSpec(`${v.peerId}=${v.publicKey},vrf=abc@${v.addr}`), (err: NovacronError) => err.kind === 'usage' && /64 hex characters/.test(err.message))
  assert.throws(() => parseValidatorSpec(`${v.peerId}=${v.publicKey},vrf=@${v.addr}`), (err: NovacronError) => err.kind === 'usage')
  assert.throws(() => parseValidatorSpec(`${v.peerId}=${v.publicKey},key=${v.vrfPublicKey}@${v.addr}`), (err: NovacronError) => err.kind === 'usage')
})
