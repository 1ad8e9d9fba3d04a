// One side of the channel benchmark, run as its own process: a NetHost with a validator identity that
// either floods its peer with messages or counts what arrives. Talks to the parent as JSON lines on stdout.
import { createInterface } from 'node:readline'
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises'
import { createIdentity } from '../src/net/identity.ts'
import { NetHost } from '../src/net/host.ts'
import { createMetrics } from '../src/metrics/index.ts'
import { silentLogger } from '../src/log/index.ts'

const [dataDir, validatorsJson] = process.argv.slice(2)
const validators = JSON.parse(validatorsJson) as Array<{ peerId: string, addr: string }>
const identity = await createIdentity(dataDir)
const self = validators.find(v => v.peerId === identity.peerId)
if (self == null) throw new Error('this identity is not among the validators')
const peer = validators.find(v => v.peerId !== identity.peerId)!
const PROTOCOL = '/novacron/bench/1.0.0'
let received = 0
let receivedBytes = 0
const host = new NetHost({ identity, listen: [self.addr], bootstrap: [], validators, mdns: false }, { logger: silentLogger, metrics: createMetrics().net })
const channel = host.registerChannel({ protocol: PROTOCOL, validatorsOnly: true, onMessage: (_from, payload) => { received++; receivedBytes += payload.byteLength } })
await host.start()
const say = (obj: unknown): void => { process.stdout.write(JSON.stringify(obj) + '\n') }
while (!host.peers().some(p => p.id === peer.peerId && p.connected && p.channels[PROTOCOL] === 'open')) await sleep(10)
say({ ready: true })

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { op: 'send', size: number, seconds: number } | { op: 'count' } | { op: 'exit' }
  if (cmd.op === 'exit') break
  if (cmd.op === 'count') { say({ received, receivedBytes }); continue }
  const msg = new Uint8Array(cmd.size).fill(7)
  const deadline = performance.now() + cmd.seconds * 1000
  let sent = 0
  while (performance.now() < deadline) {
    // Keep a few MiB in flight: enough to fill the pipe, without letting the queue drop anything.
    while (channel.queuedBytes(peer.peerId) < 4 * 1024 * 1024) {
      if (!channel.send(peer.peerId, msg)) break
      sent++
    }
    await tick()
  }
  while (channel.queuedBytes(peer.peerId) > 0) await sleep(1)
  say({ sent })
}
await host.stop()
process.exit(0)
