// Workloads on a 4-node PBFT devnet of real processes: an infeasible `workload.place` (what a faulty leader
// could propose) is applied nowhere, a feasible placement lands identically on every replica, and the
// workloads of a killed host are re-placed on live ones; an unsigned command is signed by the node it is
// posted to, and one that node may not issue (another host's heartbeat) is refused on apply.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { cli, json, killPid, waitUntil } from './helpers.ts'
import { client, converged, devnetSuite, type DevnetNode } from './cluster.ts'
import { join } from 'node:path'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { genesisHash, readGenesis } from '../../src/config/genesis.ts'
import { generateEd25519 } from '../../src/crypto/ed25519.ts'
import { fromHex } from '../../src/crypto/index.ts'
import { signTx } from '../../src/state/signed-tx.ts'
import { kvPutTx } from '../../src/state/tx.ts'

const show = async (n: DevnetNode, id: string): Promise<any> => await client(n).request('GET', `/v1/workload?id=${id}`)

describe('workloads on a 4-node devnet', () => {
  const devnet = devnetSuite('nc-workload-', [])
  let nodes: DevnetNode[]
  before(() => { nodes = devnet.nodes })

  test('every host registers and is live', async () => {
    await waitUntil('four live hosts', 30_000, async () => {
      const r = await client(nodes[0]).request<{ hosts: Array<{ live: boolean }> }>('GET', '/v1/hosts')
      return r.hosts.length === 4 && r.hosts.every(h => h.live)
    })
  })

  test('an infeasible placement is refused by every replica; a feasible one is the same everywhere', async () => {
    const huge = json(await cli(['workload', 'submit', '--cpu', '100000', '--mem', '1', '--name', 'too-big', '--json', '--data-dir', nodes[0].dataDir]))
    assert.equal(huge.state, 'pending')
    // A faulty leader's proposals arrive as ordinary transactions: a place that exceeds capacity, one onto a
    // node that is not a member, one of a workload that does not exist.
    const forged = await client(nodes[1]).request<any>('POST', '/v1/tx', {
      commands: [
        { type: 'workload.place', id: huge.id, node: nodes[2].id },
        { type: 'workload.place', id: huge.id, node: 'not-a-member' },
        { type: 'workload.place', id: 'f'.repeat(32), node: nodes[2].id }
      ],
      timeoutMs: 20_000
    })
    assert.equal(forged.failed.length, 3)
    assert.match(forged.failed[0].error, /does not fit on node/)
    assert.match(forged.failed[1].error, /not a member/)
    assert.match(forged.failed[2].error, /not found/)

    const ok = json(await cli(['workload', 'submit', '--cpu', '1', '--mem', '64', '--name', 'web', '--json', '--data-dir', nodes[3].dataDir]))
    const placed = await waitUntil('the workload to run', 30_000, async () => { const w = await show(nodes[0], ok.id); return w.state === 'running' ? w : null })
    await converged(nodes)
    for (const n of nodes) {
      const [a, b] = [await show(n, huge.id), await show(n, ok.id)]
      assert.equal(a.state, 'pending', `${n.id.slice(-6)}: the refused placement changed nothing`)
      assert.equal(a.host, null)
      assert.deepEqual([b.host, b.state, b.placedHeight, b.placements], [placed.host, 'running', placed.placedHeight, 1])
    }
    const stop = await cli(['workload', 'stop', huge.id, '--json', '--data-dir', nodes[0].dataDir])
    assert.equal(stop.code, 0, stop.stderr)
    assert.equal(json(stop).state, 'stopped')
    const missing = await cli(['workload', 'show', 'nope', '--data-dir', nodes[0].dataDir])
    assert.equal(missing.code, 1)
  })

  test('an unsigned command a token holder posts is signed by that node for local use: its own writes commit, a heartbeat for another host is refused everywhere', async () => {
    // devnet made a client key in each data dir: the CLI signs its put with it and posts the envelope
    assert.equal(statSync(join(nodes[0].dataDir, 'client.key')).mode & 0o777, 0o600)
    const put = await cli(['kv', 'put', 'signed/by-cli', 'v1', '--json', '--data-dir', nodes[0].dataDir])
    assert.equal(put.code, 0, put.stderr)
    // and it does sign with that key: one that is not a 32-byte seed fails the put before anything is sent
    const keyFile = join(nodes[0].dataDir, 'client.key')
    const saved = readFileSync(keyFile, 'utf8')
    writeFileSync(keyFile, 'abcd\n')
    const broken = await cli(['kv', 'put', 'signed/by-cli', 'never', '--data-dir', nodes[0].dataDir])
    writeFileSync(keyFile, saved)
    assert.notEqual(broken.code, 0)
    assert.match(broken.stderr, /32 or 64 bytes/)
    const r = await client(nodes[1]).request<any>('POST', '/v1/tx', {
      commands: [{ type: 'kv.put', key: 'signed/by-api', value: 'v2' }, { type: 'node.heartbeat', id: nodes[2].id }, { type: 'node.heartbeat', id: nodes[1].id }],
      timeoutMs: 20_000
    })
    assert.equal(r.committed, 3)
    assert.equal(r.failed.length, 1, JSON.stringify(r.failed))
    assert.match(r.failed[0].error, new RegExp(`unauthorized: node.heartbeat for ${nodes[2].id} must be signed by that host's validator key`))
    // the three commands went as one signed bundle (one consensus transaction): the refused one is named by its position
    assert.equal(r.failed[0].command, 1, JSON.stringify(r.failed))
    assert.equal(r.receipts.length, 1, 'one bundle, one receipt')
    // another replica reports the same commit of it (what a BFT client checks with f + 1 of them) ...
    const other = await client(nodes[3]).request<any>('POST', '/v1/tx/receipts', { txIds: [r.receipts[0].txId, 'ab'.repeat(32)], timeoutMs: 500 })
    assert.deepEqual(other.receipts[0], { txId: r.receipts[0].txId, committed: true, height: r.receipts[0].height, index: other.receipts[0].index, stateRoot: r.receipts[0].stateRoot, ok: false, error: other.receipts[0].error })
    assert.match(other.receipts[0].error, /command 1: unauthorized/)
    // ... an id never submitted is not committed within the timeout, and malformed or too many ids are refused
    assert.deepEqual(other.receipts[1], { txId: 'ab'.repeat(32), committed: false })
    for (const txIds of [['nothex'], [], Array.from({ length: 10_001 }, () => 'ab'.repeat(32))]) {
      const bad = await client(nodes[3]).request<any>('POST', '/v1/tx/receipts', { txIds }).catch((e: Error) => e)
      assert.match(String((bad as Error).message), /"txIds" must be an array of 1 to 10000/)
    }
    // a client's own key: its envelope passes through as it is; the same one with a flipped signature bit is refused on apply
    const gh = fromHex(genesisHash(readGenesis(join(nodes[0].dataDir, 'genesis.json'))))
    const own = generateEd25519()
    const height = (await client(nodes[3]).status()).height as number
    const good = signTx(kvPutTx('signed/by-client', 'v3', { nonce: 'random' }), own, height + 100, gh)
    const bad = signTx(kvPutTx('signed/by-client', 'forged', { nonce: 'random' }), own, height + 100, gh)
    bad[bad.length - 1] ^= 1
    const pre = await client(nodes[3]).request<any>('POST', '/v1/tx', { signed: [good, bad].map(b => Buffer.from(b).toString('base64')), timeoutMs: 20_000 })
    assert.equal(pre.committed, 2)
    assert.deepEqual(pre.failed.map((f: any) => f.error), ['bad transaction signature'])
    const junk = await client(nodes[3]).request<any>('POST', '/v1/tx', { signed: ['AAAA'] }).catch((e: Error) => e)
    assert.match(String((junk as Error).message), /not a signed transaction/)
    await converged(nodes)
    for (const n of nodes) {
      assert.equal((await client(n).request<any>('GET', '/v1/kv/get?key=signed/by-client')).value, 'v3')
      assert.equal((await client(n).request<any>('GET', '/v1/kv/get?key=signed/by-cli')).value, 'v1')
      assert.equal((await client(n).request<any>('GET', '/v1/kv/get?key=signed/by-api')).value, 'v2')
    }
  })

  test('a workload with a duration completes on its own, and its host gets the resources back', async () => {
    const w = json(await cli(['workload', 'submit', '--cpu', '1', '--mem', '32', '--duration', '2', '--name', 'batch', '--json', '--data-dir', nodes[1].dataDir]))
    const done = await waitUntil('the workload to complete', 30_000, async () => { const x = await show(nodes[2], w.id); return x.state === 'completed' ? x : null })
    assert.ok(done.startedHeight != null && done.endedHeight > done.startedHeight)
    assert.match(done.reason, /ran 2 s/)
    assert.ok(Date.parse(done.endedAt) - Date.parse(done.startedAt) >= 2000, 'not before its duration')
    const hosts = (await client(nodes[2]).request<{ hosts: any[] }>('GET', '/v1/hosts')).hosts
    assert.equal(hosts.reduce((n, h) => n + h.used.cpu, 0), 1, 'only the web workload still holds a vCPU')
  })

  test('the workloads of a killed host are re-placed on live hosts', async () => {
    const running = (json(await cli(['workload', 'list', '--state', 'running', '--json', '--data-dir', nodes[0].dataDir])).workloads as any[])
    assert.equal(running.length, 1, 'the web workload from the first test')
    const victim = nodes.find(n => n.id === running[0].host)!
    killPid(victim.pid)
    const others = nodes.filter(n => n !== victim)
    const moved = await waitUntil('the workload to be re-placed', 60_000, async () => {
      const w = await show(others[0], running[0].id)
      return w.host !== victim.id && w.state === 'running' ? w : null
    })
    assert.equal(moved.placements, 2)
    await converged(others)
    for (const n of others) assert.equal((await show(n, running[0].id)).host, moved.host)
    const hosts = (await client(others[0]).request<{ hosts: any[] }>('GET', '/v1/hosts')).hosts
    assert.equal(hosts.find(h => h.id === victim.id).live, false)
    assert.equal(hosts.find(h => h.id === victim.id).used.cpu, 0, 'the dead host holds nothing')
  })
})
