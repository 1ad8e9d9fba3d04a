// Two network namespaces joined by a veth pair, each direction shaped with tbf: the project's own test
// hosts on one machine (root only). Addresses are private to these namespaces.
import { execFileSync } from 'node:child_process'

export interface NetnsPair { a: string, b: string, addrA: string, addrB: string }

const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }) }

export function setupPair (prefix: string, rateMbit: number): NetnsPair {
  teardownPair(prefix)
  const pair = { a: `${prefix}-a`, b: `${prefix}-b`, addrA: '10.77.0.1', addrB: '10.77.0.2' }
  ip('netns', 'add', pair.a)
  ip('netns', 'add', pair.b)
  ip('link', 'add', `${prefix}-va`, 'type', 'veth', 'peer', 'name', `${prefix}-vb`)
  ip('link', 'set', `${prefix}-va`, 'netns', pair.a)
  ip('link', 'set', `${prefix}-vb`, 'netns', pair.b)
  for (const [ns, dev, addr] of [[pair.a, `${prefix}-va`, pair.addrA], [pair.b, `${prefix}-vb`, pair.addrB]]) {
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev)
    ip('-n', ns, 'link', 'set', dev, 'up')
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${rateMbit}mbit`, 'burst', '256kb', 'latency', '200ms'], { stdio: 'pipe' })
  }
  return pair
}

export function teardownPair (prefix: string): void {
  for (const ns of [`${prefix}-a`, `${prefix}-b`]) {
    try { execFileSync('ip', ['netns', 'pids', ns], { stdio: 'pipe' }).toString().split('\n').filter(Boolean).forEach(pid => { try { process.kill(Number(pid), 'SIGKILL') } catch { /* gone */ } }) } catch { /* no such namespace */ }
    try { ip('netns', 'del', ns) } catch { /* no such namespace */ }
  }
}
