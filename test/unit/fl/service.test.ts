// Three FL services wired to each other in process: two rounds publish the same model everywhere, a
// start on a non-coordinator reaches the coordinator, and every message that crossed the "network"
// decodes to scalars and the model's own tensors: no sample window of any node is in any of them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FlService } from '../../../src/fl/service.ts'
import { decodeMessage, encodeMessage, type FlMessage } from '../../../src/fl/messages.ts'
import { readTraces } from '../../../src/ml/data/bandwidth.ts'
import { windows } from '../../../src/ml/tasks/bandwidth.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import ort from '../../../src/ml/ort.ts'
import { lstmForward } from '../../../src/ml/train/lstm.ts'
import { decodeMbps } from '../../../src/ml/features/bandwidth.ts'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'fl-bandwidth')

describe('FL service', () => {
  it('runs two rounds among three nodes; every message carries only tensors and scalars', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nc-fl-'))
    try {
      const ids = ['node-a', 'node-b', 'node-c']
      const sources = ['fcc', 'oboe', 'norway-hsdpa']
      const wire: Uint8Array[] = []
      const services = new Map<string, FlService>()
      // What the services logged (a round that failed says why here, and the assertion shows it).
      const logs: string[] = []
      ids.forEach((id, i) => {
        const dataDir = join(root, id)
        cpSync(join(fixtures, sources[i]), join(dataDir, 'fl', 'links'), { recursive: true })
        services.set(id, new FlService({
          self: id,
          dataDir,
          members: () => ids,
          leader: () => 'node-a',
          request: async (peer, payload, timeoutMs) => {
            wire.push(payload)
            const reply = await (services.get(peer) as FlService).handle(id, payload, AbortSignal.timeout(timeoutMs))
            wire.push(reply)
            return reply
          },
          link: () => ({ mbps: 100, rttMs: 1 }),
          reliability: () => 0.99,
          log: (level, msg) => { logs.push(`${id} ${level}: ${msg}`) }
        }))
      })
      const b = services.get('node-b') as FlService
      assert.deepEqual(await b.start(2, 'full', 120_000), { coordinator: 'node-a', started: true })
      const a = services.get('node-a') as FlService
      // A bound for a hung service, not a timing check: two rounds of local training take tens of seconds on a loaded 2-core machine.
      for (let i = 0; i < 3600 && (a.status().running || a.versions().length < 2); i++) await sleep(50)
      const history = a.versions()
      assert.equal(history.length, 2, logs.join('\n'))
      for (const v of history) {
        assert.equal(v.updates, 3)
        assert.equal(v.verdicts.length, 3)
        for (const id of ids) {
          const file = readFileSync(join(root, id, 'fl', 'models', `bandwidth-fl-v${v.version}.onnx`))
          assert.equal(createHash('sha256').update(file).digest('hex'), v.sha256, `${id} holds version ${v.version} with the published hash`)
        }
      }
      // The published file is a working ONNX model: onnxruntime matches the TypeScript forward pass.
      const last = a.versions()[1]
      const session = await ort.InferenceSession.create(readFileSync(join(root, 'node-b', 'fl', 'models', `bandwidth-fl-v${last.version}.onnx`)))
      const rows = windows(readTraces(join(root, 'node-c', 'fl', 'links'))).x.slice(0, 8)
      const out = await session.run({ history: new ort.Tensor('float32', Float32Array.from(rows.flatMap(r => Array.from(r))), [rows.length, 10, 1]) })
      const weights = a.globalModel().weights
      rows.forEach((r, i) => assert.ok(Math.abs((out.mbpsMedian.data as Float32Array)[i] - decodeMbps(lstmForward(weights, r))) <= 1e-3 * (1 + decodeMbps(lstmForward(weights, r)))))
      await session.release()
      for (const id of ['node-b', 'node-c']) assert.deepEqual((services.get(id) as FlService).versions().map(v => v.sha256), history.map(v => v.sha256))
      assert.ok(a.status().bytesMoved > 0)

      // Every message that crossed, decoded: only the allowed fields, only the model's tensors.
      const allowed: Record<FlMessage['type'], string[]> = {
        train: ['type', 'round', 'modelVersion', 'deadlineMs', 'localSteps', 'tensors'],
        update: ['type', 'round', 'samples', 'loss', 'durationMs', 'tensors'],
        publish: ['type', 'round', 'modelVersion', 'sha256', 'tensors'],
        verdict: ['type', 'modelVersion', 'accepted', 'newLoss', 'currentLoss'],
        start: ['type', 'rounds', 'policy', 'deadlineMs'],
        started: ['type', 'accepted'],
        refuse: ['type', 'reason']
      }
      const samples = ids.flatMap(id => windows(readTraces(join(root, id, 'fl', 'links'))).x).map(x => Buffer.from(x.buffer, x.byteOffset, x.byteLength))
      assert.ok(samples.length > 50)
      const seen = new Set<string>()
      for (const bytes of wire) {
        const m = await decodeMessage(bytes)
        assert.ok(m.ok, m.ok ? '' : m.error)
        seen.add(m.value.type)
        assert.deepEqual(Object.keys(m.value).sort(), [...allowed[m.value.type]].sort())
        if ('tensors' in m.value) {
          assert.deepEqual(m.value.tensors.map(t => t.name), ['W', 'R', 'b', 'dense', 'denseBias'])
          const raw = Buffer.concat(m.value.tensors.map(t => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)))
          for (const s of samples) assert.equal(raw.indexOf(s), -1, 'a sample window is inside a message')
        }
      }
      for (const t of ['train', 'update', 'publish', 'verdict', 'start', 'started']) assert.ok(seen.has(t), `a ${t} message crossed`)
      // A refusal, and bad bytes, are answers, not exceptions.
      const refused = await decodeMessage(await a.handle('node-b', await encodeMessage({ type: 'train', round: 9, modelVersion: 0, deadlineMs: 1000, localSteps: 1, tensors: [] }), AbortSignal.timeout(1000)))
      assert.ok(refused.ok && refused.value.type === 'refuse')
      const junk = await decodeMessage(await a.handle('node-b', Buffer.from('not a message'), AbortSignal.timeout(1000)))
      assert.ok(junk.ok && junk.value.type === 'refuse')
      assert.ok(readdirSync(join(root, 'node-c', 'fl', 'models')).length === 2)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
