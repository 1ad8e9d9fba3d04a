// A 4-node devnet of real processes on loopback: full mesh, observers refused by the consensus channel,
// hostile frames dropped and counted, and a killed node that restarts with its peer id and rejoins.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { background, cleanup, cli, json, killPid, metricValue, tempDir, waitUntil } from './helpers.ts'

interface DevnetNode { id: string, admin: string, listen: string, dataDir: string, pid: number }

const token = (node: { dataDir: string }): string => readFileSync(join(node.dataDir, 'admin.token'), 'utf8').trim()
const status = async (dataDir: string): Promise<any> => {
  const r = await cli(['status', '--json', '--data-dir', dataDir])
  if (r.code !== 0) throw new Error(`status of ${dataDir} failed (exit ${r.code}): ${r.stderr.trim().split('\n').at(-1)}`)
  return json(r)
}
const connectedValidators = (s: any): string[] => s.peers.filter((p: any) => p.connected && p.validator).map((p: any) => p.id)

describe('devnet of 4 nodes', () => {
  let dir: string
  let nodes: DevnetNode[]

  before(async () => {
    dir = tempDir('nc-devnet-')
    const started = Date.now()
    const up = await cli(['devnet', 'up', '--nodes', '4', '--dir', dir, '--json'])
    assert.equal(up.code, 0, up.stderr)
    nodes = json(up).nodes
    assert.equal(nodes.length, 4)
    // Poll every node until it lists the 3 others as connected.
    await waitUntil('a full mesh', 60_000, async () => {
      const all = await Promise.all(nodes.map(n => status(n.dataDir)))
      return all.every(s => connectedValidators(s).length === 3)
    })
    console.log(`# devnet of 4 reached a full mesh in ${Date.now() - started} ms (including process start)`)
  })

  after(async () => {
    if (dir != null) await cli(['devnet', 'down', '--dir', dir])
    cleanup()
  })

  test('status --json of every node lists the 3 others as connected', async () => {
    for (const node of nodes) {
      const s = await status(node.dataDir)
      assert.equal(s.nodeId, node.id)
      assert.equal(s.protocol, 'pbft')
      assert.equal(s.n, 4)
      assert.equal(s.f, 1)
      // Hosts register and heartbeat through consensus from the start, so the height moves without clients.
      assert.ok(Number.isSafeInteger(s.height) && s.height >= 0)
      assert.deepEqual(connectedValidators(s).sort(), nodes.filter(n => n.id !== node.id).map(n => n.id).sort())
      assert.ok(s.peers.every((p: any) => p.consensus === 'open'), 'consensus channel open to every validator')
      assert.equal(s.health.status, 'ok')
    }
    const peers = json(await cli(['peers', '--json', '--data-dir', nodes[0].dataDir]))
    assert.equal(peers.length, 3)
    // Every peer gets a tier from measured RTT and a score from the shipped reliability model.
    const scored = await waitUntil('reliability scores and tiers', 30_000, async () => {
      const ps = json(await cli(['peers', '--json', '--data-dir', nodes[0].dataDir]))
      return ps.every((p: any) => typeof p.reliability === 'number' && typeof p.tier === 'number') ? ps : null
    })
    assert.ok(scored.every((p: any) => p.reliability >= 0 && p.reliability <= 1 && [1, 2, 3].includes(p.tier)))
    const dn = json(await cli(['devnet', 'status', '--dir', dir, '--json']))
    assert.ok(dn.nodes.every((n: any) => n.alive && n.peersConnected === 3))
  })

  test('a node whose key is not in genesis connects as an observer but cannot open the consensus channel', async () => {
    const outsider = join(tempDir('nc-outsider-'), 'data')
    assert.equal((await cli(['init', '--data-dir', outsider])).code, 0)
    const child = background(['node', 'start', '--data-dir', outsider, '--genesis', join(dir, 'genesis.json'), '--admin', '127.0.0.1:0', '--listen', '/ip4/127.0.0.1/tcp/0'])
    try {
      const s = await waitUntil('the observer to connect to the validators', 30_000, async () => {
        const st = await status(outsider)
        return st.peers.filter((p: any) => p.connected && p.validator).length === nodes.length ? st : null
      }).catch(err => { throw new Error(`${(err as Error).message}\nobserver output:\n${child.output()}`) })
      assert.equal(s.role, 'observer')
      assert.equal(s.height, 0, 'an observer takes no part in consensus')
    } finally {
      killPid(child.pid!)
    }

    // The same key speaking the consensus protocol itself: every validator resets the stream and counts it.
    const keyFile = JSON.parse(readFileSync(join(outsider, 'node.key'), 'utf8'))
    const stranger = await createLibp2p({ privateKey: privateKeyFromRaw(Buffer.from(keyFile.privateKey, 'base64')), transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    try {
      for (const n of nodes) {
        const stream = await stranger.dialProtocol(multiaddr(`${n.listen}/p2p/${n.id}`), '/novacron/consensus/1.0.0')
        await waitUntil('the validator to reset the stream', 10_000, () => stream.status !== 'open')
      }
    } finally {
      await stranger.stop()
    }
    const refused = await Promise.all(nodes.map(n => metricValue(n.admin, token(n), 'novacron_streams_refused_total', 'protocol="/novacron/consensus/1.0.0"')))
    assert.ok(refused.every(v => v >= 1), `every validator counted a refused stream: ${refused.join(',')}`)
  })

  test('garbage and oversized frames from a validator key are dropped and counted; a killed node restarts with its peer id and rejoins', async () => {
    const victim = nodes[3]
    const target = nodes[0]
    killPid(victim.pid, 'SIGKILL')
    await waitUntil('node-0 to notice node-3 left', 20_000, async () => !connectedValidators(await status(target.dataDir)).includes(victim.id))

    // Impersonate the dead validator with its own key and speak raw bytes on the consensus protocol.
    const keyFile = JSON.parse(readFileSync(join(victim.dataDir, 'node.key'), 'utf8'))
    const rogue = await createLibp2p({ privateKey: privateKeyFromRaw(Buffer.from(keyFile.privateKey, 'base64')), transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    try {
      const stream = await rogue.dialProtocol(multiaddr(`${target.listen}/p2p/${target.id}`), '/novacron/consensus/1.0.0')
      const garbage = Buffer.alloc(4 + 5)
      garbage.writeUInt32BE(5)
      garbage.set([0xff, 1, 2, 3, 4], 4)
      stream.send(garbage)
      await waitUntil('the malformed frame to be counted', 10_000, async () => await metricValue(target.admin, token(target), 'novacron_frames_dropped_total', 'reason="malformed"') >= 1)
      const huge = Buffer.alloc(4)
      huge.writeUInt32BE(0xfffffff0)
      stream.send(huge)
      await waitUntil('the oversized frame to be counted', 10_000, async () => await metricValue(target.admin, token(target), 'novacron_frames_dropped_total', 'reason="oversized"') >= 1)
    } finally {
      await rogue.stop()
    }
    assert.equal((await status(target.dataDir)).nodeId, target.id, 'the node is still up')
    // Redials of the dead validator go through its circuit breaker (the same one DWCP uses): it opens.
    await waitUntil('node-0 to open the breaker for node-3', 30_000, async () =>
      (await status(target.dataDir)).peers.find((p: any) => p.id === victim.id)?.circuit === 'open')

    const restarted = background(['node', 'start', '--data-dir', victim.dataDir, '--admin', '127.0.0.1:0'])
    const s = await waitUntil('node-3 to rejoin', 30_000, async () => {
      const st = await status(victim.dataDir)
      return connectedValidators(st).length === 3 ? st : null
    }).catch(err => { throw new Error(`${(err as Error).message}\nnode-3 output:\n${restarted.output()}`) })
    assert.equal(s.nodeId, victim.id, 'peer id survives a restart')
    await waitUntil('every node to see node-3 again, with its breaker closed', 30_000, async () => {
      const all = await Promise.all(nodes.slice(0, 3).map(n => status(n.dataDir)))
      return all.every(st => connectedValidators(st).includes(victim.id) && st.peers.find((p: any) => p.id === victim.id)?.circuit === 'closed')
    })
    killPid(restarted.pid!, 'SIGTERM')
  })
})
