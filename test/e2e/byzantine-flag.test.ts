// `--byzantine` (test builds): more than f Byzantine nodes is a usage error, and a mode the protocol does
// not have stops the node at start-up with one line naming the modes it has.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, cli, tempDir } from './helpers.ts'

after(cleanup)

test('devnet up --byzantine: K above f is refused; an unknown mode stops the node naming the modes', async () => {
  const tooMany = await cli(['devnet', 'up', '--nodes', '4', '--dir', tempDir('nc-byz-'), '--byzantine', '2:equivocate'])
  assert.equal(tooMany.code, 2, tooMany.stderr)
  assert.match(tooMany.stderr, /K from 1 to f = 1/)
  const dir = tempDir('nc-byz-')
  const bogus = await cli(['devnet', 'up', '--nodes', '4', '--dir', dir, '--byzantine', '1:bogus'])
  await cli(['devnet', 'down', '--dir', dir])
  assert.notEqual(bogus.code, 0)
  assert.match(bogus.stderr, /node-3 exited during start-up \(exit code 2\)/, 'with how it ended')
  assert.match(readFileSync(join(dir, 'node-3', 'node.log'), 'utf8'), /--byzantine must be one of .*equivocate/)
})
