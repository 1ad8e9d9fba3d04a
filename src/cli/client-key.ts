// The CLI's own signing key (<dataDir>/client.key, made by `init`): when present, `kv put|del` sign their
// command here and the node passes the envelope on as it is; absent, the node signs for the token holder.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DATA_FILES } from '../node/data-dir.ts'
import type { CliContext } from './context.ts'
import { usageError } from '../config/errors.ts'
import type * as TxBuilders from '../state/tx.ts'

/** How far ahead a CLI-signed tx stays valid: below the replay window of 1,024 heights, with room for the head to move. */
const VALID_FOR = 1000

/** The base64 envelope for the command `build` makes, or null when this data dir has no client key. */
export async function signWithClientKey (ctx: CliContext, build: (tx: typeof TxBuilders) => Uint8Array): Promise<string | null> {
  const path = join(ctx.settings().dataDir, DATA_FILES.clientKey)
  if (!existsSync(path)) return null
  // Loaded only here: a signed write costs a handful of small modules, never libp2p or the logger.
  const [{ ed25519FromSeed }, { signTx }, txs] = await Promise.all([import('../crypto/ed25519.ts'), import('../state/signed-tx.ts'), import('../state/tx.ts')])
  const key = ed25519FromSeed(Buffer.from(readFileSync(path, 'utf8').trim(), 'hex'))
  let command: Uint8Array
  try {
    command = build(txs)
  } catch (err) {
    // a command over a limit (a value over 60 KiB) is the caller's mistake, as the node would say
    if (err instanceof txs.TxValidationError) throw usageError(err.message)
    throw err
  }
  const status = await ctx.client().request<{ height: number, genesisHash: string }>('GET', '/v1/status')
  return Buffer.from(signTx(command, key, status.height + VALID_FOR, Buffer.from(status.genesisHash, 'hex'))).toString('base64')
}
