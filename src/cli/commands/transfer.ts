import { randomBytes } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { Option } from 'commander'
import type { Register } from '../main.ts'
import { usageError } from '../../config/errors.ts'
import { isInteractive } from '../context.ts'

interface Summary { id: string, file: string, to: string, rawBytes: number, sentBytes: number, ratio: number, codecMix: Record<string, number>, seconds: number, MBps: number }
interface Record_ { id: string, direction: string, peer: string, file: string, state: string, rawBytes: number, doneBytes: number, startedAt: number, endedAt: number | null, error: string | null }

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

function progressBar (r: Record_, startedAt: number): string {
  const share = r.rawBytes > 0 ? r.doneBytes / r.rawBytes : 0
  const width = 30
  const filled = Math.round(share * width)
  const seconds = (Date.now() - startedAt) / 1000
  const rate = seconds > 0 ? r.doneBytes / seconds : 0
  const eta = rate > 0 ? (r.rawBytes - r.doneBytes) / rate : NaN
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${mb(r.doneBytes)}/${mb(r.rawBytes)}  ${(rate / 1e6).toFixed(1)} MB/s  ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)}s` : '-'}`
}

export const registerTransfer: Register = (program, context) => {
  const transfer = program.command('transfer').description('move files between nodes with DWCP (multi-stream, compressed, resumable)')

  transfer.command('send')
    .description("send FILE (on this node's host) to a peer's receive directory; resumes if interrupted and re-sent")
    .argument('<file>')
    .requiredOption('--to <peerId>', 'the receiving validator')
    .addOption(new Option('--codec <codec>', 'compression per chunk').choices(['auto', 'zstd', 'lz4', 'snappy', 'none']).default('auto'))
    .option('--streams <n>', 'parallel streams: auto (from the link\'s bandwidth-delay product) or a number', 'auto')
    .option('--base <name>', 'send only what changed against this older file already at the receiver (delta)')
    .addHelpText('after', `
Example:
  $ novacron transfer send /var/lib/images/vm1.qcow2 --to 12D3KooW...
  $ novacron transfer send vm1-v2.img --to 12D3KooW... --base vm1-v1.img --json`)
    .action(async (file: string, opts: { to: string, codec: string, streams: string, base?: string }) => {
      const ctx = context()
      const path = resolve(file)
      if (!existsSync(path) || !statSync(path).isFile()) throw usageError(`${file}: no such file`)
      const streams = opts.streams === 'auto' ? 'auto' : Number(opts.streams)
      if (streams !== 'auto' && (!Number.isInteger(streams) || streams < 1 || streams > 64)) throw usageError(`--streams must be auto or an integer from 1 to 64, got ${JSON.stringify(opts.streams)}`)
      const client = ctx.client()
      const id = randomBytes(16).toString('hex')
      const startedAt = Date.now()
      const interactive = isInteractive(ctx.flags, process.stderr)
      let done = false
      const poll = (async () => {
        while (interactive && !done) {
          await new Promise(r => setTimeout(r, 500))
          const r = await client.request<Record_>('GET', `/v1/transfers/status?id=${id}`).catch(() => null)
          if (r != null && !done) process.stderr.write(`\r${progressBar(r, startedAt)}`)
        }
      })()
      try {
        const summary = await client.request<Summary>('POST', '/v1/transfers', { file: path, to: opts.to, codec: opts.codec, streams, id, baseName: opts.base }, 'json', 0)
        ctx.print({ id: summary.id, file: summary.file, to: summary.to, rawBytes: summary.rawBytes, sentBytes: summary.sentBytes, ratio: summary.ratio, codecMix: summary.codecMix, seconds: summary.seconds, MBps: summary.MBps },
          s => `sent ${s.file} to ${s.to.slice(-8)}: ${mb(s.rawBytes)} in ${s.seconds.toFixed(1)} s (${s.MBps.toFixed(1)} MB/s), ${mb(s.sentBytes)} on the wire (ratio ${s.ratio.toFixed(3)}), codecs ${Object.entries(s.codecMix).map(([c, n]) => `${c}:${n}`).join(' ')}`)
      } finally {
        done = true
        await poll
        if (interactive) process.stderr.write('\n')
      }
    })

  transfer.command('list')
    .description('transfers this node sent or received since it started, newest first')
    .addHelpText('after', '\nExample:\n  $ novacron transfer list --json\n  $ novacron transfer list --output table')
    .action(async () => {
      const ctx = context()
      const list = await ctx.client().request<Record_[]>('GET', '/v1/transfers')
      ctx.print(list, l => l.length === 0 ? '(no transfers)' : l.map((r: Record_) => `${r.id}  ${r.direction.padEnd(7)}  ${r.state.padEnd(7)}  ${mb(r.doneBytes)}/${mb(r.rawBytes)}  ${r.peer.slice(-8)}  ${r.file}${r.error != null ? `  (${r.error})` : ''}`).join('\n'), (l: Record_[]) => l.map(r => ({ id: r.id, direction: r.direction, state: r.state, doneBytes: r.doneBytes, rawBytes: r.rawBytes, peer: r.peer, file: r.file, error: r.error })))
    })

  transfer.command('status')
    .description('one transfer: state, bytes done, error')
    .argument('<id>')
    .addHelpText('after', '\nExample:\n  $ novacron transfer status 3f2a...')
    .action(async (id: string) => {
      const ctx = context()
      ctx.print(await ctx.client().request<Record_>('GET', `/v1/transfers/status?id=${encodeURIComponent(id)}`), r => `${r.id}  ${r.direction} ${r.state}  ${mb(r.doneBytes)}/${mb(r.rawBytes)}  peer ${r.peer}  ${r.file}${r.error != null ? `\n  error: ${r.error}` : ''}`)
    })
}
