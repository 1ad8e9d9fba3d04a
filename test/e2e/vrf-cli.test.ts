// The ECVRF and the ProBFT calculator through the real CLI: an RFC 9381 vector proved and verified from a
// raw seed file, a flipped proof byte refused with exit 1 and one stderr line, init's vrf.key and node id's
// vrfPublicKey feeding a genesis, and `probft odds` printing the exact hand-computed odds.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertOneLineError, cleanup, cli, json, tempDir } from './helpers.ts'

after(cleanup)

// RFC 9381 Appendix B.3, Example 18.
const SK = 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7'
const PK = 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025'
const ALPHA = 'af82'
const PI = '9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e'
const BETA = '645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c452118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f'

test('vrf prove and verify reproduce an RFC 9381 vector; a flipped byte exits 1 with one line', async () => {
  const dir = tempDir()
  const keyFile = join(dir, 'sk.hex')
  writeFileSync(keyFile, SK + '\n')
  const proved = await cli(['vrf', 'prove', '--key', keyFile, '--alpha', ALPHA, '--json'])
  assert.equal(proved.code, 0, proved.stderr)
  assert.deepEqual(json(proved), { proof: PI, beta: BETA, publicKey: PK })
  const verified = await cli(['vrf', 'verify', '--pk', PK, '--alpha', ALPHA, '--proof', PI, '--json'])
  assert.equal(verified.code, 0, verified.stderr)
  assert.deepEqual(json(verified), { beta: BETA })
  const flipped = PI.slice(0, 100) + (PI[100] === '0' ? '1' : '0') + PI.slice(101)
  const bad = await cli(['vrf', 'verify', '--pk', PK, '--alpha', ALPHA, '--proof', flipped])
  assert.equal(bad.code, 1)
  assert.equal(bad.stdout, '')
  assert.match(assertOneLineError(bad), /invalid VRF proof: .*challenge mismatch/)
  const wrongAlpha = await cli(['vrf', 'verify', '--pk', PK, '--alpha', ALPHA + '00', '--proof', PI])
  assert.equal(wrongAlpha.code, 1)
  const malformed = await cli(['vrf', 'verify', '--pk', PK, '--alpha', 'xyz', '--proof', PI])
  assert.equal(malformed.code, 2)
  assert.match(assertOneLineError(malformed), /--alpha must be hex/)
  const help = await cli(['vrf', 'verify', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /ECVRF-EDWARDS25519-SHA512-TAI/)
  assert.match(help.stdout, /Example 17/)
})

test('init makes vrf.key (0600); node id shows vrfPublicKey; genesis create keeps it; vrf prove uses it', async () => {
  const dir = tempDir()
  const init = await cli(['init', '--data-dir', dir, '--json'])
  assert.equal(init.code, 0, init.stderr)
  const made = json(init)
  assert.match(made.vrfPublicKey, /^[0-9a-f]{64}$/)
  assert.equal(statSync(join(dir, 'vrf.key')).mode & 0o777, 0o600)
  const id = await cli(['node', 'id', '--data-dir', dir])
  assert.equal(id.code, 0, id.stderr)
  const line = /--validator (\S+)/.exec(id.stdout)?.[1] ?? ''
  assert.ok(line.includes(`,vrf=${made.vrfPublicKey}@`), id.stdout)
  const idJson = json(await cli(['node', 'id', '--data-dir', dir, '--json']))
  assert.equal(idJson.vrfPublicKey, made.vrfPublicKey)
  const out = join(dir, 'g.json')
  const g = await cli(['genesis', 'create', '--cluster', 'v', '--protocol', 'pbft', '--validator', line.replace('HOST_IP', '127.0.0.1'), '--out', out])
  assert.equal(g.code, 0, g.stderr)
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).validators[0].vrfPublicKey, made.vrfPublicKey)
  const proved = await cli(['vrf', 'prove', '--data-dir', dir, '--alpha', '00', '--json'])
  assert.equal(proved.code, 0, proved.stderr)
  assert.equal(json(proved).publicKey, made.vrfPublicKey)
  const verified = await cli(['vrf', 'verify', '--pk', made.vrfPublicKey, '--alpha', '00', '--proof', json(proved).proof, '--json'])
  assert.equal(json(verified).beta, json(proved).beta)
})

test('probft odds prints the exact tails of a hand-computed case and refuses bad flags', async () => {
  // n=16, f=5, l=1, o=2: q=4, s=8; miss = 232/2048, Byzantine quorum = 6/32.
  const r = await cli(['probft', 'odds', '--n', '16', '--f', '5', '--l', '1', '--o', '2', '--json'])
  assert.equal(r.code, 0, r.stderr)
  const odds = json(r)
  assert.equal(odds.q, 4)
  assert.equal(odds.sampleSize, 8)
  assert.equal(odds.missQuorum, 232 / 2048)
  assert.equal(odds.byzantineQuorum, 6 / 32)
  assert.equal(odds.acceptable, false)
  const rec = json(await cli(['probft', 'odds', '--n', '100', '--json']))
  assert.equal(rec.f, 33)
  assert.equal(rec.recommended, true)
  assert.equal(rec.acceptable, true)
  for (const args of [['--n', '0'], ['--n', '10', '--f', '10'], ['--n', '10', '--l', '1'], ['--n', 'x']]) {
    const bad = await cli(['probft', 'odds', ...args])
    assert.equal(bad.code, 2, args.join(' '))
    assertOneLineError(bad)
  }
})
