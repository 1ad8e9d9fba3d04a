import { readFileSync } from 'node:fs'
import type { Register } from '../main.ts'
import { NovacronError, usageError } from '../../config/errors.ts'
import { seconds, submit, type WaitOpts } from './kv.ts'

export const registerTx: Register = (program, context) => {
  const tx = program.command('tx').description('submit commands to the replicated log')
  tx.command('submit')
    .description('submit commands, one JSON object per line, e.g. {"type":"kv.put","key":"a","value":"1"}')
    .requiredOption('--file <file>', 'file of commands, or - for standard input')
    .option('--no-wait', 'do not wait for the commits')
    .option('--timeout <s>', 'seconds to wait for all commits', seconds, 60)
    .addHelpText('after', '\nExample:\n  $ printf \'{"type":"kv.put","key":"a","value":"1"}\\n{"type":"kv.del","key":"b"}\\n\' | novacron tx submit --file -')
    .action(async (opts: WaitOpts & { file: string }) => {
      const ctx = context()
      let text: string
      try {
        text = readFileSync(opts.file === '-' ? 0 : opts.file, 'utf8')
      } catch (err) {
        throw usageError(`cannot read ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
      }
      const commands = text.split('\n').map((line, i) => [line.trim(), i + 1] as const).filter(([l]) => l !== '' && !l.startsWith('#')).map(([l, n]) => {
        try { return JSON.parse(l) as unknown } catch { throw usageError(`line ${n}: not a JSON object: ${l.slice(0, 60)}`) }
      })
      if (commands.length === 0) throw usageError('no commands to submit')
      let submitted = 0
      let committed = 0
      const failed: unknown[] = []
      for (let i = 0; i < commands.length; i += 1000) {
        const r = await submit(ctx, '/v1/tx', { commands: commands.slice(i, i + 1000) }, opts)
        submitted += r.submitted
        committed += r.committed ?? 0
        failed.push(...(r.failed ?? []))
        if (!ctx.json && process.stderr.isTTY === true) process.stderr.write(`\r${submitted}/${commands.length} submitted`)
      }
      if (!ctx.json && process.stderr.isTTY === true) process.stderr.write('\n')
      ctx.print({ submitted, committed: opts.wait ? committed : null, failed }, x => `${x.submitted} submitted${x.committed != null ? `, ${x.committed} committed` : ''}${failed.length > 0 ? `, ${failed.length} failed` : ''}`)
      if (failed.length > 0) throw new NovacronError('failure', `${failed.length} command(s) failed when applied`)
    })
}
