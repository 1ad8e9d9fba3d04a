import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'
import type { CliContext } from '../context.ts'
import { withProgress } from '../progress.ts'
import { signWithClientKey } from '../client-key.ts'

export const seconds = (raw: string): number => {
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0 || n > 600) throw usageError(`--timeout must be a number of seconds from 0 to 600, got ${JSON.stringify(raw)}`)
  return n
}

export interface WaitOpts { wait: boolean, timeout: number }

export async function submit (ctx: CliContext, path: string, body: Record<string, unknown>, opts: WaitOpts): Promise<any> {
  const timeoutMs = opts.timeout * 1000
  const client = ctx.client()
  return await withProgress(ctx, opts.wait ? 'waiting for the commit' : 'submitting', async () => await client.request('POST', path, { ...body, wait: opts.wait, timeoutMs }, 'json', timeoutMs + 5000))
}

export const registerKv: Register = (program, context) => {
  const kv = program.command('kv').description('read and write the replicated key-value store')

  kv.command('put')
    .description('write KEY=VALUE through consensus; waits for the commit and prints height, index and state root')
    .argument('<key>').argument('<value>')
    .option('--no-wait', 'return once the node accepted it, without waiting for the commit')
    .option('--timeout <s>', 'seconds to wait for the commit (exit 5 when it does not come)', seconds, 10)
    .addHelpText('after', '\nExample:\n  $ novacron kv put app/replicas 3\n  $ novacron kv put app/mode blue --json --timeout 30')
    .action(async (key: string, value: string, opts: WaitOpts) => {
      const ctx = context()
      const signed = await signWithClientKey(ctx, tx => tx.kvPutTx(key, value, { nonce: 'random' }))
      const r = await submit(ctx, '/v1/kv/put', signed === null ? { key, value } : { key, signed }, opts)
      ctx.print(r, x => x.submitted === true ? `submitted ${key} (tx ${String(x.txId).slice(0, 16)})` : `put ${key} at height ${x.height} (index ${x.index}), state root ${String(x.stateRoot).slice(0, 16)}`)
    })

  kv.command('get')
    .description("read KEY from this node's committed state (exit 1 when absent)")
    .argument('<key>')
    .option('--linearizable', 'go through consensus first, so the read sees every write acknowledged before it')
    .addHelpText('after', '\nExample:\n  $ novacron kv get app/replicas\n  $ novacron kv get app/replicas --linearizable --json')
    .action(async (key: string, opts: { linearizable?: boolean }) => {
      const ctx = context()
      const r = await ctx.client().request<{ key: string, value: string | null, height: number }>('GET', `/v1/kv/get?key=${encodeURIComponent(key)}${opts.linearizable === true ? '&linearizable=1' : ''}`, undefined, 'json', 20_000)
      ctx.print(r, x => x.value == null ? `${key}: not found (height ${x.height})` : x.value)
      if (r.value == null) process.exitCode = 1
    })

  kv.command('list')
    .description('list keys and values, optionally under a prefix')
    .option('--prefix <p>', 'only keys starting with this')
    .option('--limit <n>', 'at most this many', '1000')
    .addHelpText('after', '\nExample:\n  $ novacron kv list --prefix app/ --json\n  $ novacron kv list --output table')
    .action(async (opts: { prefix?: string, limit: string }) => {
      const ctx = context()
      const q = new URLSearchParams({ limit: opts.limit, ...(opts.prefix != null ? { prefix: opts.prefix } : {}) })
      const r = await ctx.client().request<{ entries: Array<{ key: string, value: string }>, height: number }>('GET', `/v1/kv/list?${q.toString()}`)
      ctx.print(r, x => x.entries.length === 0 ? `(no keys, height ${x.height})` : x.entries.map((e: { key: string, value: string }) => `${e.key}=${e.value}`).join('\n'), x => x.entries)
    })

  kv.command('del')
    .description('delete KEY through consensus; waits for the commit')
    .argument('<key>')
    .option('--no-wait', 'do not wait for the commit')
    .option('--timeout <s>', 'seconds to wait for the commit', seconds, 10)
    .addHelpText('after', '\nExample:\n  $ novacron kv del app/mode')
    .action(async (key: string, opts: WaitOpts) => {
      const ctx = context()
      const signed = await signWithClientKey(ctx, tx => tx.kvDelTx(key, { nonce: 'random' }))
      const r = await submit(ctx, '/v1/kv/del', signed === null ? { key } : { key, signed }, opts)
      ctx.print(r, x => x.submitted === true ? `submitted delete of ${key}` : `deleted ${key} at height ${x.height}`)
    })
}
