// The node's vrf.key: made once with mode 0600, read back to the same key, its public key the RFC 9381 one
// (checked against the noble ECVRF), a raw hex seed accepted for `vrf prove --key`, damage refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createVrfKey, loadVrfKey, nodeVrf, readVrfKeyFile, requireVrfKey } from '../../../src/node/vrf-key.ts'
import { vrfKeyFromSeed } from '../../../src/crypto/vrf.ts'
import type { NovacronError } from '../../../src/config/errors.ts'

test('created once (0600), reloaded identically, public key matches ECVRF; force replaces it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrfkey-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  assert.equal(loadVrfKey(dir), null)
  assert.throws(() => requireVrfKey(dir), (err: NovacronError) => err.kind === 'config' && /novacron init/.test(err.message))
  const made = createVrfKey(dir)
  assert.equal(statSync(join(dir, 'vrf.key')).mode & 0o777, 0o600)
  assert.equal(made.publicKey, Buffer.from(vrfKeyFromSeed(made.secretKey).publicKey).toString('hex'))
  assert.deepEqual(createVrfKey(dir), made, 'a second init keeps the key')
  assert.deepEqual(requireVrfKey(dir), made)
  const replaced = createVrfKey(dir, { force: true })
  assert.notEqual(replaced.publicKey, made.publicKey)
})

test('a raw 64-hex seed file works as --key; damaged, foreign or world-readable files are refused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrfkey-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const seedHex = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
  writeFileSync(join(dir, 'seed'), seedHex + '\n')
  assert.equal(readVrfKeyFile(join(dir, 'seed')).publicKey, 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
  const made = createVrfKey(dir)
  const path = join(dir, 'vrf.key')
  const body = JSON.parse(readFileSync(path, 'utf8'))
  const write = (content: string): void => { writeFileSync(path, content); chmodSync(path, 0o600) }
  write(JSON.stringify({ ...body, publicKey: '00'.repeat(32) }))
  assert.throws(() => readVrfKeyFile(path), /does not match its secretKey/)
  write(JSON.stringify({ ...body, type: 'Ed25519' }))
  assert.throws(() => readVrfKeyFile(path), /unsupported format/)
  write(JSON.stringify({ ...body, secretKey: body.secretKey.slice(2) }))
  assert.throws(() => readVrfKeyFile(path), /unsupported format/)
  write('not json')
  assert.throws(() => readVrfKeyFile(path), /neither a vrf.key JSON file nor a 64-hex-character seed/)
  write('null')
  assert.throws(() => readVrfKeyFile(path), /unsupported format/)
  write(JSON.stringify(body))
  assert.equal(readVrfKeyFile(path).publicKey, made.publicKey)
  chmodSync(path, 0o644)
  assert.throws(() => readVrfKeyFile(path), /readable by others/)
  assert.throws(() => readVrfKeyFile(join(dir, 'missing')), /no VRF key/)
})

test('nodeVrf: the node proves with its vrf.key, verifies with the genesis keys, and refuses a genesis naming another key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vrfkey-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  await assert.rejects(nodeVrf(dir, { validators: [] }, 'me'), /no VRF key/)
  const mine = createVrfKey(dir)
  const other = Buffer.from(vrfKeyFromSeed(new Uint8Array(32).fill(3)).publicKey).toString('hex')
  const validators = [
    { peerId: 'me', publicKey: '', addr: '', vrfPublicKey: mine.publicKey },
    { peerId: 'peer', publicKey: '', addr: '', vrfPublicKey: other }
  ]
  const { vrf, publicKeys } = await nodeVrf(dir, { validators }, 'me')
  assert.equal(Buffer.from(publicKeys.get('peer') ?? []).toString('hex'), other)
  const alpha = Uint8Array.of(1, 2)
  const { proof, beta } = vrf.prove(alpha)
  assert.deepEqual(vrf.verify(publicKeys.get('me') as Uint8Array, alpha, proof), beta)
  await assert.rejects(nodeVrf(dir, { validators: [{ ...validators[0], vrfPublicKey: other }, validators[1]] }, 'me'), (err: NovacronError) => err.kind === 'config' && /genesis names VRF key/.test(err.message))
  await assert.rejects(nodeVrf(dir, { validators: [validators[0], { ...validators[1], vrfPublicKey: undefined }] }, 'me'), /1 of 2 validators have no vrfPublicKey \(peer\)/)
})
