// Bad input on purpose: each is answered by one clear line (no stack trace) and the exit code of CLI.md.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { DatabaseSync } from 'node:sqlite'
import { join } from 'node:path'
import { assertOneLineError, background, cleanup, cli, json, killTree, metricValue, tempDir, waitUntil } from './helpers.ts'

after(cleanup)

async function initNode (dir: string): Promise<{ peerId: string, publicKey: string }> {
  const r = await cli(['init', '--data-dir', dir, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return json(r)
}

async function singleGenesis (dir: string, port: number): Promise<string> {
  const id = await initNode(join(dir, 'node'))
  const file = join(dir, 'genesis.json')
  const r = await cli(['genesis', 'create', '--cluster', 'solo', '--protocol', 'pbft', '--validator', `${id.peerId}=${id.publicKey}@/ip4/127.0.0.1/tcp/${port}`, '--out', file])
  assert.equal(r.code, 0, r.stderr)
  return file
}

async function busyPort (): Promise<{ server: Server, port: number }> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port }
}

describe('configuration and genesis errors', () => {
  test('usage errors exit 2', async () => {
    for (const args of [
      ['--log-level', 'loud', 'status'],
      ['node', 'start', '--admin', 'nonsense'],
      ['devnet', 'up', '--nodes', '0'],
      ['no-such-command'],
      ['genesis', 'create', '--cluster', 'x', '--protocol', 'raft', '--validator', 'a=b@c'],
      ['genesis', 'create', '--cluster', 'x', '--protocol', 'pbft', '--validator', 'garbage']
    ]) {
      const r = await cli(args)
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`)
      assert.ok(!/^\s+at /m.test(r.stderr), 'no stack trace')
    }
  })

  test('a missing or malformed genesis, or one naming an unknown protocol, exits 3', async () => {
    const dir = tempDir()
    const data = join(dir, 'node')
    await initNode(data)
    const missing = await cli(['node', 'start', '--data-dir', data, '--genesis', join(dir, 'nope.json'), '--admin', '127.0.0.1:0'])
    assert.equal(missing.code, 3)
    assert.match(assertOneLineError(missing), /does not exist/)
    const noGenesis = await cli(['node', 'start', '--data-dir', data, '--admin', '127.0.0.1:0'])
    assert.equal(noGenesis.code, 3)
    assert.match(assertOneLineError(noGenesis), /pass --genesis/)
    writeFileSync(join(dir, 'bad.json'), '{ "version": 1, ')
    const malformed = await cli(['node', 'start', '--data-dir', data, '--genesis', join(dir, 'bad.json'), '--admin', '127.0.0.1:0'])
    assert.equal(malformed.code, 3)
    assert.match(assertOneLineError(malformed), /not valid JSON/)
    const good = JSON.parse(readFileSync(await singleGenesis(dir, 1), 'utf8'))
    writeFileSync(join(dir, 'raft.json'), JSON.stringify({ ...good, protocol: 'raft' }))
    const unknown = await cli(['node', 'start', '--data-dir', data, '--genesis', join(dir, 'raft.json'), '--admin', '127.0.0.1:0'])
    assert.equal(unknown.code, 3)
    assert.match(assertOneLineError(unknown), /unknown protocol "raft"/)
  })

  test('an unreadable data dir exits 3', async () => {
    const dir = tempDir()
    const file = join(dir, 'not-a-dir')
    writeFileSync(file, 'x')
    const r = await cli(['node', 'start', '--data-dir', file, '--admin', '127.0.0.1:0'])
    assert.equal(r.code, 3)
    assert.match(assertOneLineError(r), /not a directory/)
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked')
      mkdirSync(locked)
      chmodSync(locked, 0o000)
      const denied = await cli(['node', 'start', '--data-dir', locked])
      chmodSync(locked, 0o700)
      assert.equal(denied.code, 3)
      assertOneLineError(denied)
    }
  })

  test('a config file with a bad value names the key and exits 3', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ admin: 'everywhere' }))
    const r = await cli(['--config', join(dir, 'c.json'), 'node', 'id', '--data-dir', dir])
    assert.equal(r.code, 3)
    assert.match(assertOneLineError(r), /key "admin"/)
  })

  test('workload: a bad flag is a usage error (exit 2), a node that is not there exit 4', async () => {
    const bad = await cli(['workload', 'submit', '--cpu', '1.5', '--mem', '10'])
    assert.equal(bad.code, 2)
    assert.match(assertOneLineError(bad), /--cpu must be an integer/)
    const state = await cli(['workload', 'list', '--state', 'sleeping'])
    assert.equal(state.code, 2)
    const closed = await busyPort()
    closed.server.close()
    const r = await cli(['workload', 'list', '--node', `http://127.0.0.1:${closed.port}`])
    assert.equal(r.code, 4)
    assert.match(assertOneLineError(r), /cannot reach/)
  })

  test('--json errors are a JSON document on stdout', async () => {
    const closed = await busyPort()
    closed.server.close()
    const r = await cli(['status', '--json', '--node', `http://127.0.0.1:${closed.port}`])
    assert.equal(r.code, 4)
    assert.equal(json(r).error.code, 'unreachable')
    assert.match(json(r).error.message, /ECONNREFUSED/)
  })
})

describe('a running single-validator node', () => {
  let dir: string
  let admin: string
  let node: ReturnType<typeof background>
  let port: number

  before(async () => {
    dir = tempDir()
    const busy = await busyPort()
    port = busy.port
    busy.server.close()
    const genesis = await singleGenesis(dir, port)
    node = background(['node', 'start', '--data-dir', join(dir, 'node'), '--genesis', genesis, '--admin', '127.0.0.1:0'])
    admin = await waitUntil('the node to start', 30_000, () => {
      try { return JSON.parse(readFileSync(join(dir, 'node', 'node.json'), 'utf8')).admin as string } catch { return null }
    })
  })

  after(() => killTree(node))

  test('a put commits (its batch is in the WAL by digest for the restart test below)', async () => {
    const r = await cli(['kv', 'put', 'solo/key', 'solo-value', '--json', '--data-dir', join(dir, 'node')])
    assert.equal(r.code, 0, r.stderr)
  })

  test('node start runs re-executed with the tuned memory settings under the pid it was started with', async () => {
    const runtime = JSON.parse(readFileSync(join(dir, 'node', 'node.json'), 'utf8'))
    assert.equal(runtime.pid, node.pid, 'the same pid after the re-exec')
    const environ = readFileSync(`/proc/${node.pid}/environ`, 'utf8').split('\0')
    assert.ok(environ.includes('MALLOC_ARENA_MAX=2'), 'two malloc arenas')
    assert.ok(environ.some(e => e.startsWith('NODE_OPTIONS=') && e.includes('--max-semi-space-size=2')), '2 MiB semi-spaces')
    const token = readFileSync(join(dir, 'node', 'admin.token'), 'utf8').trim()
    const young = await metricValue(admin, token, 'novacron_process_nodejs_heap_space_size_total_bytes', 'space="new"')
    assert.ok(young > 0 && young <= 4 * 2 ** 20, `the young generation is at most two 2 MiB semi-spaces (${young} bytes)`)
  })

  test('a wrong or missing token exits 6', async () => {
    writeFileSync(join(dir, 'wrong.token'), 'this-is-not-the-right-token\n')
    const wrong = await cli(['status', '--node', admin, '--token-file', join(dir, 'wrong.token')])
    assert.equal(wrong.code, 6)
    assert.match(assertOneLineError(wrong), /unauthorized/)
    const missing = await cli(['status', '--node', admin])
    assert.equal(missing.code, 6)
    const missingFile = await cli(['status', '--node', admin, '--token-file', join(dir, 'absent.token')])
    assert.equal(missingFile.code, 6)
    const right = await cli(['status', '--json', '--node', admin, '--token-file', join(dir, 'node', 'admin.token')])
    assert.equal(right.code, 0)
    assert.equal(json(right).n, 1)
  })

  test('a listen port already in use fails with one line, exit 1', async () => {
    const busy = await busyPort()
    try {
      const other = join(dir, 'other')
      await initNode(other)
      const r = await cli(['node', 'start', '--data-dir', other, '--genesis', join(dir, 'genesis.json'), '--listen', `/ip4/127.0.0.1/tcp/${busy.port}`, '--admin', '127.0.0.1:0'])
      assert.equal(r.code, 1)
      assert.match(assertOneLineError(r), /address already in use/)
    } finally {
      busy.server.close()
    }
  })

  test('a second node on the same data dir is refused', async () => {
    const r = await cli(['node', 'start', '--data-dir', join(dir, 'node'), '--admin', '127.0.0.1:0'])
    assert.equal(r.code, 1)
    assert.match(assertOneLineError(r), /already running/)
  })

  test('SIGTERM shuts down cleanly with exit 143 and removes the runtime file', async () => {
    killTree(node, 'SIGTERM')
    const code = await new Promise<number | null>(resolve => node.on('exit', c => resolve(c)))
    assert.equal(code, 143)
    assert.throws(() => readFileSync(join(dir, 'node', 'node.json')))
    void port
  })

  test('a WAL record whose batch body is gone from the store refuses to start with one line, exit 1', async () => {
    const data = join(dir, 'node')
    // the node is stopped (previous test); a put made its WAL hold an accepted pre-prepare naming a body
    const db = new DatabaseSync(join(data, 'state.db'))
    const named = db.prepare('SELECT count(*) AS n FROM wal WHERE body_id IS NOT NULL').get() as { n: number }
    assert.ok(Number(named.n) > 0, 'some WAL record names a body')
    db.exec('DELETE FROM batch_bodies WHERE batch_id IN (SELECT body_id FROM wal WHERE body_id IS NOT NULL)')
    db.close()
    const r = await cli(['node', 'start', '--data-dir', data, '--admin', '127.0.0.1:0'], { timeoutMs: 30_000 })
    assert.equal(r.code, 1)
    assert.match(assertOneLineError(r), /cannot restore consensus from the WAL .*batch body [0-9a-f]{16} is not in the body store/)
  })
})
