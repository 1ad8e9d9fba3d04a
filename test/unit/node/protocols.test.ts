// Genesis params are the protocol's: the node checks them through the registry, refusing unknown keys,
// planned protocols and values the codecs or the WAL cannot carry, with a message that names the limit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AVAILABLE_PROTOCOLS, KNOWN_PROTOCOLS, checkGenesis, genesisParams } from '../../../src/node/protocols.ts'
import { PROTOCOL_MODULES } from '../../../src/consensus/registry.ts'
import type { NovacronError } from '../../../src/config/errors.ts'

const validators = (n: number): Array<{ peerId: string, publicKey: string, addr: string }> => Array.from({ length: n }, (_, i) => ({ peerId: `p${i}`, publicKey: '', addr: '' }))
const check = (protocol: string, params: Record<string, number>, n = 4) => checkGenesis({ protocol, params, validators: validators(n) })
const refused = (protocol: string, params: Record<string, number>, re: RegExp, kind = 'config', n = 4): void => {
  assert.throws(() => check(protocol, params, n), (err: NovacronError) => err.kind === kind && re.test(err.message), `${protocol} ${JSON.stringify(params)}: ${re}`)
}

test('the protocol lists come from the registry', () => {
  assert.deepEqual(AVAILABLE_PROTOCOLS, PROTOCOL_MODULES.map((m) => m.name))
  for (const p of AVAILABLE_PROTOCOLS) assert.ok(KNOWN_PROTOCOLS.includes(p), p)
})

test('every protocol\'s genesis defaults pass its own validation', () => {
  for (const m of PROTOCOL_MODULES) {
    const g = genesisParams(m.name, [])
    assert.deepEqual(g, { ...m.params.genesisDefaults })
    check(m.name, g)
    check(m.name, {})
  }
})

test('a key another protocol takes is refused, naming the keys this one takes', () => {
  refused('pbft', { gcDepth: 50 }, /pbft has no parameter "gcDepth" \(it takes batchSize/)
  refused('bullshark', { viewChangeTimeoutMs: 2000 }, /bullshark has no parameter "viewChangeTimeoutMs"/)
  assert.throws(() => genesisParams('pbft', ['gcDepth=5']), (err: NovacronError) => err.kind === 'usage' && /KEY one of batchSize/.test(err.message))
})

test('planned and unknown protocols are refused plainly', () => {
  // Every protocol named by the design but not yet registered is refused as a failure, not a usage error.
  for (const p of KNOWN_PROTOCOLS.filter((k) => !AVAILABLE_PROTOCOLS.includes(k))) refused(p, {}, /not available in this version/, 'failure')
  refused('raft', {}, /unknown protocol "raft"/)
})

test('parameters the codecs and the WAL cannot carry are refused with the limit named', () => {
  for (const p of AVAILABLE_PROTOCOLS) {
    refused(p, { batchSize: 9000 }, /exceeds the 8192 transactions a batch message can carry \(MAX_BATCH_TXS\)/)
    // A batch's bytes are bounded when it is sealed (MAX_BATCH_BYTES), so any count the codec carries fits the WAL.
    check(p, { batchSize: 8192 })
  }
  refused('bullshark', { gcDepth: 10, checkpointInterval: 6 }, /checkpointInterval 6 must be at most gcDepth \/ 2 \(5 for gcDepth 10\)/)
  check('bullshark', { gcDepth: 10, checkpointInterval: 4 })
  refused('bullshark', {}, /at most 1024/, 'config', 1025)
})
