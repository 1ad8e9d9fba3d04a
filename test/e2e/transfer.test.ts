// DWCP between real node processes: `transfer send` delivers files byte for byte into the receiver's
// directory, reports the CLI.md summary, compresses what compresses, and sends only the changes of a
// modified image when the receiver has the older version.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, cli, json, tempDir } from './helpers.ts'

interface DevnetNode { id: string, dataDir: string }
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('DWCP transfers on a devnet', () => {
  let dir: string
  let nodes: DevnetNode[]

  before(async () => {
    dir = tempDir('nc-dwcp-')
    const up = await cli(['devnet', 'up', '--nodes', '4', '--dir', dir, '--json'])
    assert.equal(up.code, 0, up.stderr)
    nodes = json(up).nodes
  })

  after(async () => {
    if (dir != null) await cli(['devnet', 'down', '--dir', dir])
    cleanup()
  })

  test('files of 0 B, 1 B and several MiB arrive intact with the summary of CLI.md', async () => {
    const files: Array<[string, Buffer]> = [['empty.bin', Buffer.alloc(0)], ['one.bin', randomBytes(1)], ['random.bin', randomBytes(6 * 1024 * 1024 + 7)]]
    for (const [name, bytes] of files) {
      const path = join(dir, name)
      writeFileSync(path, bytes)
      const r = await cli(['transfer', 'send', path, '--to', nodes[2].id, '--json', '--data-dir', nodes[0].dataDir])
      assert.equal(r.code, 0, r.stderr)
      const s = json(r)
      for (const key of ['id', 'file', 'to', 'rawBytes', 'sentBytes', 'ratio', 'codecMix', 'seconds', 'MBps']) assert.ok(key in s, `summary has ${key}`)
      assert.equal(s.rawBytes, bytes.length)
      assert.equal(sha(join(nodes[2].dataDir, 'received', name)), sha(path))
    }
    const list = json(await cli(['transfer', 'list', '--json', '--data-dir', nodes[2].dataDir]))
    assert.ok(list.filter((t: any) => t.direction === 'receive' && t.state === 'done').length >= 3)
  })

  test('text compresses and a 1% change of an image sends a small delta', async () => {
    const text = join(dir, 'log.txt')
    writeFileSync(text, Array.from({ length: 200_000 }, (_, i) => `line ${i} of a very ordinary log file\n`).join(''))
    const t = json(await cli(['transfer', 'send', text, '--to', nodes[1].id, '--json', '--data-dir', nodes[0].dataDir]))
    assert.ok(t.ratio < 0.2, `text ratio ${t.ratio}`)

    const v1 = randomBytes(8 * 1024 * 1024)
    writeFileSync(join(dir, 'vm-v1.img'), v1)
    assert.equal((await cli(['transfer', 'send', join(dir, 'vm-v1.img'), '--to', nodes[1].id, '--data-dir', nodes[0].dataDir])).code, 0)
    const v2 = Buffer.from(v1)
    for (let i = 0; i < 20; i++) randomBytes(4096).copy(v2, Math.floor(Math.random() * (v2.length / 4096)) * 4096)
    writeFileSync(join(dir, 'vm-v2.img'), v2)
    const d = json(await cli(['transfer', 'send', join(dir, 'vm-v2.img'), '--to', nodes[1].id, '--base', 'vm-v1.img', '--json', '--data-dir', nodes[0].dataDir]))
    assert.equal(sha(join(nodes[1].dataDir, 'received', 'vm-v2.img')), sha(join(dir, 'vm-v2.img')))
    assert.ok(d.sentBytes < 0.1 * v2.length, `delta sent ${d.sentBytes} of ${v2.length}`)
  })

  test('a missing file, a stranger as receiver and a bad stream count are usage errors', async () => {
    assert.equal((await cli(['transfer', 'send', join(dir, 'nope'), '--to', nodes[1].id, '--data-dir', nodes[0].dataDir])).code, 2)
    writeFileSync(join(dir, 'x'), 'x')
    assert.equal((await cli(['transfer', 'send', join(dir, 'x'), '--to', '12D3KooWStranger', '--data-dir', nodes[0].dataDir])).code, 2)
    assert.equal((await cli(['transfer', 'send', join(dir, 'x'), '--to', nodes[1].id, '--streams', '0', '--data-dir', nodes[0].dataDir])).code, 2)
  })
})
