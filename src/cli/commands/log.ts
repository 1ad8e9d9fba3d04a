import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'

export const registerLog: Register = (program, context) => {
  const log = program.command('log').description('read the committed log')
  log.command('tail')
    .description('print committed batches (JSON lines with --json), from a height or the last 20; --follow keeps going')
    .option('--from <height>', 'first height to print')
    .option('--follow', 'keep printing new commits until interrupted')
    .addHelpText('after', '\nExample:\n  $ novacron log tail --from 1 --json\n  $ novacron log tail --follow')
    .action(async (opts: { from?: string, follow?: boolean }) => {
      const ctx = context()
      const client = ctx.client()
      let from = opts.from != null ? Number(opts.from) : NaN
      if (opts.from != null && (!Number.isSafeInteger(from) || from < 0)) throw usageError(`--from must be a height (a non-negative integer), got ${JSON.stringify(opts.from)}`)
      if (Number.isNaN(from)) from = Math.max(1, (await client.status()).height - 19)
      const line = (e: { height: number, txIds: string[], stateRoot: string, committedAt: string, batchId: string }): string =>
        ctx.json ? JSON.stringify(e) : `${String(e.height).padStart(8)}  ${e.committedAt}  ${String(e.txIds.length).padStart(5)} tx  root ${e.stateRoot.slice(0, 16)}`
      if (opts.follow !== true) {
        for (const e of await client.request<any[]>('GET', `/v1/log?from=${from}&limit=1000`)) process.stdout.write(line(e) + '\n')
        return
      }
      const stop = new AbortController()
      process.once('SIGINT', () => stop.abort())
      try {
        for await (const e of client.lines<any>(`/v1/log/follow?from=${from}`, stop.signal)) process.stdout.write(line(e) + '\n')
      } catch (err) {
        if (!stop.signal.aborted) throw err
      }
    })
}
