// PBFT on a 4-node devnet of real processes: 1,000 puts to different nodes end in identical state roots;
// kill -9 of a follower and then of the primary under load loses nothing acknowledged and changes the
// view; a node killed while group-committing its own load loses nothing it acknowledged; a node stopped
// while the others checkpoint and garbage-collect catches up by state transfer.
import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { assertOneLineError, cli, json, killPid, metricValue, waitUntil } from './helpers.ts'
import { assertAllHave, client, converged, devnetSuite, load, restart, runtimeAdmin, statuses, token, type DevnetNode } from './cluster.ts'

describe('PBFT on a 4-node devnet', () => {
  const devnet = devnetSuite('nc-pbft-', ['--param', 'checkpointInterval=8', '--param', 'viewChangeTimeoutMs=1000'])
  let nodes: DevnetNode[]
  before(() => { nodes = devnet.nodes })

  test('1,000 puts sent to different nodes commit with identical state roots everywhere', async () => {
    const started = Date.now()
    const acked = await load(nodes, 'bulk', 1000)
    assert.equal(acked.size, 1000, 'every put acknowledged')
    const all = await converged(nodes)
    console.log(`# 1,000 puts committed in ${Date.now() - started} ms; height ${all[0].height}`)
    await assertAllHave(nodes, acked)
    const viaCli = await cli(['kv', 'put', 'cli/key', 'cli-value', '--json', '--data-dir', nodes[2].dataDir])
    assert.equal(viaCli.code, 0, viaCli.stderr)
    const receipt = json(viaCli)
    assert.equal(receipt.key, 'cli/key')
    assert.ok(receipt.height > 0 && typeof receipt.stateRoot === 'string')
    const got = json(await cli(['kv', 'get', 'cli/key', '--linearizable', '--json', '--data-dir', nodes[1].dataDir]))
    assert.deepEqual([got.key, got.value], ['cli/key', 'cli-value'])
    assert.ok(got.height >= receipt.height)
    const tail = await cli(['log', 'tail', '--from', '1', '--json', '--data-dir', nodes[0].dataDir])
    const lines = tail.stdout.trim().split('\n').map(l => JSON.parse(l))
    assert.equal(lines[0].height, 1)
    assert.ok(lines.every((l: any, i: number) => l.height === i + 1 && Array.isArray(l.txIds) && /^[0-9a-f]{64}$/.test(l.stateRoot)))
  })

  test('kill -9 of a follower, then of the primary, under load: nothing acknowledged is lost and the view changes', async () => {
    const before = await statuses(nodes)
    const primaryId: string = before[0].leader
    const view0: number = before[0].view
    const primary = nodes.find(n => n.id === primaryId)!
    const follower = nodes.find(n => n.id !== primaryId)!
    // Load goes to the nodes that stay up; the victim is killed while the load runs, then restarted.
    const crashUnderLoad = async (victim: DevnetNode, prefix: string): Promise<Map<string, string>> => {
      const running = load(nodes.filter(n => n !== victim), prefix, 300, 16)
      await sleep(300)
      killPid(victim.pid, 'SIGKILL')
      const acked = await running
      await restart(victim)
      return acked
    }
    const acked1 = await crashUnderLoad(follower, 'crash1')
    const acked2 = await crashUnderLoad(primary, 'crash2')
    const acked3 = await load(nodes, 'crash3', 50)
    const all = await converged(nodes, 90_000)
    assert.ok(all.every(s => s.view > view0), `view changed from ${view0} to ${all.map(s => s.view).join(',')}`)
    assert.ok(acked1.size > 0 && acked2.size > 0 && acked3.size === 50, `acknowledged: ${acked1.size} with the follower down, ${acked2.size} with the primary down, ${acked3.size}/50 after`)
    await assertAllHave(nodes, new Map([...acked1, ...acked2, ...acked3]))
  })

  test('kill -9 of a node while it group-commits its own load: every put it acknowledged survives', async () => {
    const [{ leader }] = await statuses(nodes)
    const victim = nodes.find(n => n.id !== leader)!
    // Every put goes to the victim, so its WAL groups and batch commits are in flight when it dies.
    const running = load([victim], 'gc-crash', 400, 32)
    await sleep(400)
    killPid(victim.pid, 'SIGKILL')
    const acked = await running
    await restart(victim)
    await converged(nodes, 90_000)
    assert.ok(acked.size > 0, 'the victim acknowledged some puts before it died')
    await assertAllHave(nodes, acked)
  })

  test('a node stopped while the others pass stable checkpoints catches up by state transfer', async () => {
    const lagging = nodes[1]
    killPid(lagging.pid, 'SIGKILL')
    const others = nodes.filter(n => n !== lagging)
    // Few puts in flight at a time: many small batches, so the log moves several checkpoints past it.
    const acked = await load(others, 'behind', 400, 4)
    assert.equal(acked.size, 400)
    const ahead = (await client(others[0]).status()).height
    console.log(`# the others moved ${ahead} heights on while the node was down`)
    await restart(lagging)
    // The cluster keeps working while the node catches up, so checkpoints keep coming: a replica that is
    // behind learns the latest stable checkpoint from them and fetches its snapshot.
    let round = 0
    await waitUntil('the restarted node to install a snapshot and hold every put it missed', 90_000, async () => {
      await load(others, `after${round++}`, 16, 4)
      if (await metricValue(runtimeAdmin(lagging), token(lagging), 'novacron_snapshots_installed_total') < 1) return null
      const height = (await client(lagging).status()).height
      return height >= ahead ? true : null
    })
    await assertAllHave([lagging], acked)
  })

  test('storage runs in WAL mode with synchronous=FULL', async () => {
    const s = await client(nodes[0]).status() as any
    assert.deepEqual(s.storage, { journalMode: 'wal', synchronous: 'full' })
  })

  test('an oversized transaction is refused with one clear line', async () => {
    const r = await cli(['kv', 'put', 'big', 'x'.repeat(100_000), '--data-dir', nodes[0].dataDir])
    assert.equal(r.code, 2)
    assert.match(assertOneLineError(r), /limit|exceeds|too large/i)
  })
})
