import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Storage } from '../../../src/state/storage/storage.ts'
import { LtHash } from '../../../src/state/lthash.ts'
import { toHex } from '../../../src/state/bytes.ts'
import { replayLog, tempDbPath } from './helpers.ts'

const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url))

/** Runs the writer until it acknowledged `minHeight`, SIGKILLs it, returns the last acknowledged height. */
async function killWhileWriting (path: string, minHeight: number): Promise<number> {
  const child = spawn(process.execPath, [writer, path], { stdio: ['ignore', 'pipe', 'pipe'] })
  let acked = 0
  let stderr = ''
  child.stderr.on('data', (d) => { stderr += String(d) })
  await new Promise<void>((resolve, reject) => {
    let buf = ''
    child.stdout.on('data', (d) => {
      buf += String(d)
      const lines = buf.split('\n')
      buf = lines.pop()!
      for (const l of lines) acked = Number(l)
      if (acked >= minHeight) { child.kill('SIGKILL'); resolve() }
    })
    child.on('exit', (code) => code !== null && reject(new Error(`writer exited with ${code}: ${stderr}`)))
  })
  await new Promise((resolve) => child.once('close', resolve))
  return acked
}

test('SIGKILL while committing leaves a consistent prefix holding every acknowledged batch', async (t) => {
  const path = tempDbPath(t)
  for (const target of [15, 30]) {
    const acked = await killWhileWriting(path, target)
    const s = Storage.open({ path })
    try {
      const head = s.head()
      assert.ok(head.height >= acked, `acknowledged ${acked}, recovered ${head.height}`)
      assert.deepEqual(s.logRange(1, 10_000).map((e) => e.height), Array.from({ length: head.height }, (_, i) => i + 1))
      const replayed = replayLog(s)
      assert.equal(toHex(replayed.head().stateRoot), toHex(head.stateRoot))
      const h = new LtHash()
      for (const e of s.entries()) h.add(e.table, e.key, e.value)
      assert.equal(toHex(h.root()), toHex(head.stateRoot))
    } finally {
      s.close()
    }
  }
})
