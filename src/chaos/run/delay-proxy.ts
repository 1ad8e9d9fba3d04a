// A TCP proxy in front of one node that adds a one-way delay to every chunk, both directions, in order
// (this kernel has no netem). The delay is fixed (benchmarks: bench/dwcp-netns.ts) or read from a control
// file every 100 ms, so a chaos run turns it on and off without restarting anything.
//   node src/chaos/run/delay-proxy.ts LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS|CONTROL_FILE
import { createConnection, createServer, type Socket } from 'node:net'
import { readFileSync } from 'node:fs'

const [listen, target, delayOrControl] = process.argv.slice(2)
let delayMs = 0
if (/^\d+(\.\d+)?$/.test(delayOrControl)) {
  delayMs = Number(delayOrControl)
} else {
  const readDelay = (): void => {
    try { delayMs = Math.max(0, Number(readFileSync(delayOrControl, 'utf8').trim()) || 0) } catch { delayMs = 0 }
  }
  readDelay()
  setInterval(readDelay, 100)
}

function pipeDelayed (from: Socket, to: Socket): void {
  // One queue per direction, so a change of delay never reorders bytes.
  let last = 0
  from.on('data', chunk => {
    const due = Math.max(Date.now() + delayMs, last)
    last = due
    const send = (): void => { if (!to.destroyed && !to.write(chunk)) { from.pause(); to.once('drain', () => from.resume()) } }
    if (due <= Date.now()) send()
    else setTimeout(send, due - Date.now())
  })
  from.on('end', () => setTimeout(() => to.end(), Math.max(0, last - Date.now())))
  from.on('error', () => to.destroy())
}

const [lh, lp] = [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)]
const [th, tp] = [target.slice(0, target.lastIndexOf(':')), target.slice(target.lastIndexOf(':') + 1)]
createServer(client => {
  const upstream = createConnection({ host: th, port: Number(tp) })
  client.setNoDelay(true)
  upstream.setNoDelay(true)
  pipeDelayed(client, upstream)
  pipeDelayed(upstream, client)
  upstream.on('error', () => client.destroy())
  client.on('error', () => upstream.destroy())
  client.on('close', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
}).listen(Number(lp), lh, () => process.stdout.write('ready\n'))
