// FL core: the weights codec refuses what it should, FedAvg equals centralised gradient descent, byte
// accounting matches its formula, and a dropped client cannot hold a round past its deadline.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_ELEMENTS, decodeTensors, encodeTensors, type Tensor } from '../../../src/fl/tensors.ts'
import { accumulate, emptyAggregate, fedAvg, finish } from '../../../src/fl/fedavg.ts'
import { initialLstm, lstmToTensors, tensorsToLstm } from '../../../src/fl/weights.ts'
import { relayTree, roundBytesFormula, roundMessages, traffic } from '../../../src/fl/topology.ts'
import { runRound, type Clock } from '../../../src/fl/round.ts'
import { fitLstm } from '../../../src/ml/train/lstm.ts'
import { mulberry32 } from '../../../src/ml/train/random.ts'

const t = (name: string, dims: number[], f: (i: number) => number): Tensor => ({ name, dims, data: Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => f(i)) })

describe('weights codec', () => {
  it('round-trips with every DWCP codec', async () => {
    const tensors = lstmToTensors(initialLstm(4, 3))
    for (const codec of ['none', 'zstd', 'lz4', 'snappy'] as const) {
      const r = await decodeTensors(await encodeTensors(tensors, codec))
      assert.ok(r.ok, codec)
      assert.deepEqual(r.value.map(x => [x.name, x.dims, Array.from(x.data)]), tensors.map(x => [x.name, x.dims, Array.from(x.data)]))
    }
  })

  it('refuses malformed, oversized and tampered input without throwing', async () => {
    const good = await encodeTensors([t('a', [3, 2], i => i)], 'zstd')
    const bad: Uint8Array[] = [new Uint8Array(0), new Uint8Array(7), good.subarray(0, good.length - 3), Buffer.concat([Buffer.from([0, 0, 0, 0]), good.subarray(4)])]
    const flipped = Buffer.from(good); flipped[flipped.length - 1] ^= 0xff; bad.push(flipped)
    const huge = Buffer.from(good); huge.writeUInt32BE(MAX_ELEMENTS + 1, 4 + 1 + 1 + 2 + 1 + 1 + 1); bad.push(huge)
    const codec = Buffer.from(good); codec[5] = 9; bad.push(codec)
    const rand = mulberry32(7)
    for (let i = 0; i < 200; i++) { const b = Buffer.from(good); b[Math.floor(rand() * b.length)] ^= 1 + Math.floor(rand() * 255); bad.push(b) }
    for (const b of bad) {
      const r = await decodeTensors(b)
      if (r.ok) assert.deepEqual(Array.from(r.value[0].data), [0, 1, 2, 3, 4, 5], 'a flip the hash cannot see must leave the values intact')
    }
    for (const b of bad.slice(0, 7)) assert.equal((await decodeTensors(b)).ok, false)
    await assert.rejects(encodeTensors([t('x', [MAX_ELEMENTS + 1], () => 0)]), RangeError)
    await assert.rejects(encodeTensors([t('x'.repeat(65), [1], () => 0)]), RangeError)
    assert.equal(tensorsToLstm([t('W', [8, 1], () => 0)]).ok, false, 'a partial model is refused')
    const w = lstmToTensors(initialLstm(4, 1)); w[1] = t('R', [16, 5], () => 0)
    assert.equal(tensorsToLstm(w).ok, false, 'a wrong shape is refused')
  })
})

describe('FedAvg', () => {
  it('weights by samples and a relay tree gives the star\'s model (<= 1e-6)', () => {
    const u = [1, 2, 3, 4].map(k => ({ samples: k * 10, tensors: [t('w', [5], i => Math.sin(i * k))] }))
    const star = fedAvg(u)
    const want = Array.from({ length: 5 }, (_, i) => u.reduce((a, x) => a + x.samples * x.tensors[0].data[i], 0) / 100)
    star[0].data.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-6))
    const relay = accumulate(accumulate(emptyAggregate(), u[2]), u[3])
    const tree = finish(accumulate(accumulate(accumulate(emptyAggregate(), u[0]), u[1]), relay))
    tree[0].data.forEach((v, i) => assert.ok(Math.abs(v - star[0].data[i]) <= 1e-6))
    assert.throws(() => fedAvg([u[0], { samples: 1, tensors: [t('w', [4], () => 0)] }]), RangeError)
  })

  it('with full participation and one full-batch step equals centralised gradient descent on the union (<= 1e-6)', async () => {
    const rand = mulberry32(11)
    const window = (): Float32Array => Float32Array.from({ length: 10 }, () => Math.log(0.1 + 5 * rand()))
    const clients = [12, 30, 7].map(n => { const x = Array.from({ length: n }, window); return { x, y: x.map(r => r[9] + (rand() - 0.5)) } })
    const start = initialLstm(4, 5)
    start.dense = start.dense.map((_, i) => 0.1 * (i + 1))
    const p = { hidden: 4, steps: 1, batch: 0, learningRate: 0.05, seed: 1, optimizer: 'sgd' as const }
    const local = []
    for (const c of clients) local.push(await fitLstm(c.x, c.y, 1, p, start))
    const avg = fedAvg(local.map(l => ({ samples: l.samples, tensors: lstmToTensors(l.weights) })))
    const central = await fitLstm(clients.flatMap(c => c.x), clients.flatMap(c => c.y), 1, p, start)
    const ref = lstmToTensors(central.weights)
    let moved = 0
    avg.forEach((a, i) => a.data.forEach((v, j) => {
      assert.ok(Math.abs(v - ref[i].data[j]) <= 1e-6, `${a.name}[${j}]: ${v} vs ${ref[i].data[j]}`)
      moved = Math.max(moved, Math.abs(v - lstmToTensors(start)[i].data[j]))
    }))
    assert.ok(moved > 1e-4, 'the step changed the weights (the test compares something)')
  })
})

describe('byte accounting', () => {
  it('a star and a relay tree both send the formula\'s bytes; the tree\'s root receives less', async () => {
    const model = (await encodeTensors(lstmToTensors(initialLstm(16, 1)))).length
    const ids = ['a', 'b', 'c', 'd', 'e', 'f']
    const star = traffic('root', roundMessages('root', ids, { model, update: () => model, report: 16 }))
    assert.equal(star.total, roundBytesFormula(6, model, model, 16))
    assert.equal(star.total, 2 * 6 * model + 6 * 16)
    assert.equal(star.rootIn, 6 * model + 6 * 16)
    // Clients a, b are close to the root; the rest are close to a or b.
    const near = (x: string, y: string): boolean => [x, y].includes('root') ? ['a', 'b'].includes(x === 'root' ? y : x) : true
    const parent = relayTree('root', ids, (x, y) => near(x, y) ? { mbps: 100, rttMs: 1 } : { mbps: 1, rttMs: 100 }, model, 3)
    const tree = traffic('root', roundMessages('root', ids, { model, update: () => model, report: 16 }, parent))
    assert.equal(tree.total, star.total, 'a tree moves the same total')
    const rootChildren = [...parent.values()].filter(p => p === 'root').length
    assert.equal(rootChildren, 2)
    assert.equal(tree.rootIn, rootChildren * model + 6 * 16)
  })
})

describe('round deadline', () => {
  it('a client that drops mid-round does not stall the round past its deadline', async () => {
    let now = 0
    const sleepers: Array<{ at: number, wake: () => void }> = []
    const clock: Clock = {
      now: () => now,
      sleep: async (ms, signal) => await new Promise<void>(resolve => { sleepers.push({ at: now + ms, wake: resolve }); signal.addEventListener('abort', () => resolve(), { once: true }) })
    }
    const advance = async (to: number): Promise<void> => {
      now = to
      for (const s of sleepers.filter(x => x.at <= now)) s.wake()
      await new Promise(resolve => setImmediate(resolve))
    }
    let abortedDrop = false
    const done = runRound(['fast', 'slow', 'drop', 'broken'], 1000, clock, async (id, signal) => {
      if (id === 'broken') throw new Error('disk full')
      if (id === 'drop') return await new Promise<number>(() => { signal.addEventListener('abort', () => { abortedDrop = true }) })
      await clock.sleep(id === 'fast' ? 100 : 900, new AbortController().signal)
      return id.length
    })
    await advance(100)
    await advance(900)
    await advance(1000)
    const r = await done
    assert.deepEqual(r.results.map(x => x.id), ['fast', 'slow'])
    assert.deepEqual(r.failed.map(x => x.id), ['broken'])
    assert.deepEqual(r.late, ['drop'])
    assert.equal(r.elapsedMs, 1000)
    assert.ok(abortedDrop, 'the late client is told to stop')
  })

  it('ends as soon as everyone answered', async () => {
    const r = await runRound(['a', 'b'], 60_000, { now: () => 0, sleep: async () => await new Promise(() => {}) }, async id => id)
    assert.equal(r.results.length, 2)
  })
})

describe('FL messages', () => {
  it('round-trip, and any corruption decodes to a message or a reason, never an exception', async () => {
    const { decodeMessage, encodeMessage } = await import('../../../src/fl/messages.ts')
    const tensors = lstmToTensors(initialLstm(4, 2))
    const all = [
      { type: 'train' as const, round: 3, modelVersion: 2, deadlineMs: 5000, localSteps: 5, tensors },
      { type: 'update' as const, round: 3, samples: 120, loss: 0.25, durationMs: 800, tensors },
      { type: 'publish' as const, round: 3, modelVersion: 3, sha256: 'ab'.repeat(32), tensors },
      { type: 'verdict' as const, modelVersion: 3, accepted: true, newLoss: 0.5, currentLoss: 0.75 },
      { type: 'start' as const, rounds: 2, policy: 1, deadlineMs: 30_000 },
      { type: 'started' as const, accepted: false },
      { type: 'refuse' as const, reason: 'not the coordinator' }
    ]
    const rand = mulberry32(5)
    for (const m of all) {
      const bytes = await encodeMessage(m)
      const back = await decodeMessage(bytes)
      assert.ok(back.ok)
      assert.deepEqual(JSON.parse(JSON.stringify(back.value, (k, v) => v instanceof Float32Array ? Array.from(v) : v)), JSON.parse(JSON.stringify(m, (k, v) => v instanceof Float32Array ? Array.from(v) : v)))
      for (let i = 0; i < 100; i++) {
        const b = Buffer.from(bytes)
        const cut = rand() < 0.3 ? Math.floor(rand() * b.length) : b.length
        b[Math.floor(rand() * b.length)] ^= 1 + Math.floor(rand() * 255)
        const r = await decodeMessage(b.subarray(0, cut))
        assert.equal(typeof r.ok, 'boolean')
      }
    }
    assert.equal((await decodeMessage(Buffer.concat([await encodeMessage(all[5]), Buffer.from([0])]))).ok, false, 'trailing bytes are refused')
  })
})
