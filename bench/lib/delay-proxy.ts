// A TCP proxy that adds a fixed one-way delay to every chunk in both directions, keeping order: this
// kernel has no netem, so benchmarks add WAN-like latency in user space.
//   node bench/lib/delay-proxy.ts LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS
import { createConnection, createServer, type Socket } from 'node:net'

const [listen, target, delayArg] = process.argv.slice(2)
const delayMs = Number(delayArg)
const [lh, lp] = listen.split(':')
const [th, tp] = target.split(':')

function pipeDelayed (from: Socket, to: Socket): void {
  from.on('data', chunk => {
    // Hold the reader while the writer is behind, so the proxy never buffers without bound.
    setTimeout(() => { if (!to.write(chunk)) { from.pause(); to.once('drain', () => from.resume()) } }, delayMs)
  })
  from.on('end', () => setTimeout(() => to.end(), delayMs))
  from.on('error', () => to.destroy())
}

createServer(client => {
  const upstream = createConnection({ host: th, port: Number(tp) })
  client.setNoDelay(true)
  upstream.setNoDelay(true)
  pipeDelayed(client, upstream)
  pipeDelayed(upstream, client)
  upstream.on('error', () => client.destroy())
  client.on('close', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
}).listen(Number(lp), lh, () => process.stdout.write('ready\n'))
