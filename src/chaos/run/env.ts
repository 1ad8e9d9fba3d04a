// Where a chaos run's nodes live and how faults reach them. `NetnsEnv` (root): a hub namespace holding a
// bridge and the client, one namespace per node joined to it by a veth pair; partitions and loss with
// nftables, caps with tbf, delay through a user-space proxy, a full disk on a small tmpfs. `LocalEnv`
// (anyone): nodes on loopback, and only the faults that need no privileges (kill, pause). Everything
// created is listed as it is made, and cleanup() removes it, synchronously, so exit and signal handlers can.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../../cli/devnet.ts'
import { NEEDS_NETNS, cutLinks, type FaultKind } from './manifest.ts'

/** A process to start; `pipes`: stdin and stdout are pipes to this process (the agent), stderr goes to the log. */
export interface SpawnSpec { command: string, args: string[], log: string, pipes?: boolean }

export interface ChaosEnv {
  readonly kind: 'netns' | 'local'
  /** Why the environment is local, when it is. */
  readonly note: string | null
  /** Each node's libp2p listen address and the address in its genesis entry (a proxy's, when delays are planned). */
  listen: (i: number) => string
  genesisAddr: (i: number) => string
  /** The node's admin API (HOST:PORT), fixed for the run so a restarted node keeps it. */
  admin: (i: number) => string
  /** Starts a node process (or the agent, with i = -1) where it belongs, in its own process group. */
  spawn: (i: number, spec: SpawnSpec) => ChildProcess
  supports: (kind: FaultKind) => boolean
  partition: (tag: string, groups: number[][]) => void
  loss: (tag: string, node: number, percent: number) => void
  cap: (tag: string, node: number, mbit: number) => void
  delay: (node: number, ms: number) => void
  fillDisk: (node: number) => void
  heal: (tag: string, node?: number) => void
  freeDisk: (node: number) => void
  /** A data dir for node i (on a small tmpfs when a full disk is planned). */
  dataDir: (i: number) => string
  cleanup: () => void
}

function spawnLogged (command: string, args: string[], spec: SpawnSpec): ChildProcess {
  const fd = openSync(spec.log, 'a')
  const child = spawn(command, args, { detached: true, stdio: spec.pipes === true ? ['pipe', 'pipe', fd] : ['ignore', fd, fd] })
  closeSync(fd)
  return child
}

export function killGroup (pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid == null) return
  try { process.kill(-pid, signal) } catch { try { process.kill(pid, signal) } catch { /* already gone */ } }
}

/** Why this process cannot run namespaced faults, or null when it can. */
export function netnsUnavailable (): string | null {
  if (process.getuid?.() !== 0) return 'not root: network namespaces, nftables and tc need root'
  for (const tool of [['ip', '-V'], ['nft', '--version'], ['tc', '-V']]) {
    try { execFileSync(tool[0], tool.slice(1), { stdio: 'pipe' }) } catch { return `${tool[0]} is not installed` }
  }
  const probe = `ncprobe${process.pid % 100000}`
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'exec', probe, 'nft', 'add', 'table', 'inet', 'probe'], { stdio: 'pipe' })
    return null
  } catch (err) {
    return `network namespaces or nftables do not work here: ${String((err as Error).message).split('\n')[0]}`
  } finally {
    try { execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' }) } catch { /* was not made */ }
  }
}

const SUBNET = '10.78.0'
const HUB_ADDR = `${SUBNET}.250`
const NODE_PORT = 7400
const PROXY_PORT = 7500
const ADMIN_PORT = 7401
const DISK_MIB = 128

export class NetnsEnv implements ChaosEnv {
  readonly kind = 'netns' as const
  readonly note = null
  private readonly id: string
  private readonly hub: string
  private readonly dir: string
  private readonly n: number
  private readonly useProxies: boolean
  private readonly tmpfs: boolean
  private readonly namespaces: string[] = []
  private readonly mounts: string[] = []
  private readonly children = new Set<ChildProcess>()

  constructor (opts: { dir: string, nodes: number, proxies: boolean, tmpfs: boolean }) {
    this.id = `ncc${(process.pid % 1000).toString(36)}${Math.floor(Math.random() * 36 ** 2).toString(36)}`.slice(0, 8)
    this.hub = `${this.id}-hub`
    this.dir = opts.dir
    this.n = opts.nodes
    this.useProxies = opts.proxies
    this.tmpfs = opts.tmpfs
  }

  private ip (...args: string[]): void { execFileSync('ip', args, { stdio: 'pipe' }) }
  private inNs (ns: string, args: string[]): void { execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: 'pipe' }) }
  private ns (i: number): string { return `${this.id}-n${i}` }
  private addr (i: number): string { return `${SUBNET}.${i + 1}` }
  private dev (i: number): string { return `${this.id}n${i}` }

  setup (): void {
    this.ip('netns', 'add', this.hub)
    this.namespaces.push(this.hub)
    this.ip('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge')
    this.ip('-n', this.hub, 'addr', 'add', `${HUB_ADDR}/24`, 'dev', 'br0')
    this.ip('-n', this.hub, 'link', 'set', 'br0', 'up')
    this.ip('-n', this.hub, 'link', 'set', 'lo', 'up')
    for (let i = 0; i < this.n; i++) {
      const ns = this.ns(i)
      this.ip('netns', 'add', ns)
      this.namespaces.push(ns)
      const hubSide = `${this.id}h${i}`
      this.ip('link', 'add', hubSide, 'type', 'veth', 'peer', 'name', this.dev(i))
      this.ip('link', 'set', hubSide, 'netns', this.hub)
      this.ip('link', 'set', this.dev(i), 'netns', ns)
      this.ip('-n', this.hub, 'link', 'set', hubSide, 'master', 'br0')
      this.ip('-n', this.hub, 'link', 'set', hubSide, 'up')
      this.ip('-n', ns, 'addr', 'add', `${this.addr(i)}/24`, 'dev', this.dev(i))
      this.ip('-n', ns, 'link', 'set', this.dev(i), 'up')
      this.ip('-n', ns, 'link', 'set', 'lo', 'up')
      if (this.useProxies) {
        writeFileSync(this.delayFile(i), '0\n')
        this.spawn(i, { command: process.execPath, args: [join(import.meta.dirname, 'delay-proxy.ts'), `${this.addr(i)}:${PROXY_PORT}`, `${this.addr(i)}:${NODE_PORT}`, this.delayFile(i)], log: join(this.dir, `proxy-${i}.log`) })
      }
    }
  }

  private delayFile (i: number): string { return join(this.dir, `delay-${i}.ms`) }

  listen (i: number): string { return `/ip4/${this.addr(i)}/tcp/${NODE_PORT}` }
  genesisAddr (i: number): string { return `/ip4/${this.addr(i)}/tcp/${this.useProxies ? PROXY_PORT : NODE_PORT}` }
  admin (i: number): string { return `${this.addr(i)}:${ADMIN_PORT}` }

  dataDir (i: number): string {
    const d = join(this.dir, `node-${i}`)
    mkdirSync(d, { recursive: true })
    if (this.tmpfs && !this.mounts.includes(d)) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MIB}m,mode=0700`, 'tmpfs', d], { stdio: 'pipe' })
      this.mounts.push(d)
    }
    return d
  }

  spawn (i: number, spec: SpawnSpec): ChildProcess {
    const child = spawnLogged('ip', ['netns', 'exec', i < 0 ? this.hub : this.ns(i), spec.command, ...spec.args], spec)
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  supports (_kind: FaultKind): boolean { return true }

  private nft (i: number, script: string): void {
    execFileSync('ip', ['netns', 'exec', this.ns(i), 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'pipe', 'pipe'] })
  }

  /** Cuts every link between two nodes that share no group (a node in two groups bridges them: cutLinks). */
  partition (tag: string, groups: number[][]): void {
    for (const [i, cut] of cutLinks(groups)) {
      if (cut.length === 0) continue
      const blocked = cut.map(j => this.addr(j))
      this.nft(i, `table inet ${tag} {
  chain input { type filter hook input priority 0; ip saddr { ${blocked.join(', ')} } drop; }
  chain output { type filter hook output priority 0; ip daddr { ${blocked.join(', ')} } drop; }
}\n`)
    }
  }

  loss (tag: string, node: number, percent: number): void {
    this.nft(node, `table inet ${tag} {
  chain input { type filter hook input priority 0; ip saddr ${SUBNET}.0/24 numgen random mod 100 < ${Math.round(percent)} drop; }
  chain output { type filter hook output priority 0; ip daddr ${SUBNET}.0/24 numgen random mod 100 < ${Math.round(percent)} drop; }
}\n`)
  }

  cap (_tag: string, node: number, mbit: number): void {
    this.inNs(this.ns(node), ['tc', 'qdisc', 'replace', 'dev', this.dev(node), 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '32kb', 'latency', '400ms'])
  }

  delay (node: number, ms: number): void {
    writeFileSync(this.delayFile(node), `${ms}\n`)
  }

  fillDisk (node: number): void {
    const fd = openSync(join(this.dataDir(node), 'chaos-filler'), 'w')
    const block = Buffer.alloc(1024 * 1024, 0x5a)
    try {
      for (;;) writeSync(fd, block)
    } catch { /* ENOSPC: full */ } finally { closeSync(fd) }
  }

  freeDisk (node: number): void {
    rmSync(join(this.dataDir(node), 'chaos-filler'), { force: true })
  }

  heal (tag: string, node?: number): void {
    const nodes = node != null ? [node] : Array.from({ length: this.n }, (_, i) => i)
    for (const i of nodes) {
      try { this.inNs(this.ns(i), ['nft', 'delete', 'table', 'inet', tag]) } catch { /* not there */ }
      if (tag.startsWith('cap')) { try { this.inNs(this.ns(i), ['tc', 'qdisc', 'del', 'dev', this.dev(i), 'root']) } catch { /* not there */ } }
    }
  }

  cleanup (): void {
    for (const c of this.children) killGroup(c.pid, 'SIGKILL')
    for (const ns of this.namespaces) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { stdio: 'pipe' }).toString().split('\n').filter(Boolean)
        for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL') } catch { /* gone */ } }
      } catch { /* gone */ }
    }
    for (const d of this.mounts) { try { execFileSync('umount', ['-l', d], { stdio: 'pipe' }) } catch { /* not mounted */ } }
    this.mounts.length = 0
    // Deleting a namespace removes its veth ends; the hub's bridge goes with the hub.
    for (const ns of this.namespaces) { try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' }) } catch { /* gone */ } }
    this.namespaces.length = 0
  }
}

export class LocalEnv implements ChaosEnv {
  readonly kind = 'local' as const
  readonly note: string
  private readonly dir: string
  private readonly ports: Array<{ p2p: number, admin: number }> = []
  private readonly children = new Set<ChildProcess>()

  constructor (opts: { dir: string, note: string }) {
    this.dir = opts.dir
    this.note = opts.note
  }

  async setup (n: number): Promise<void> {
    for (let i = 0; i < n; i++) this.ports.push({ p2p: await freePort(), admin: await freePort() })
  }

  listen (i: number): string { return `/ip4/127.0.0.1/tcp/${this.ports[i].p2p}` }
  genesisAddr (i: number): string { return this.listen(i) }
  admin (i: number): string { return `127.0.0.1:${this.ports[i].admin}` }
  dataDir (i: number): string { const d = join(this.dir, `node-${i}`); mkdirSync(d, { recursive: true }); return d }

  spawn (_i: number, spec: SpawnSpec): ChildProcess {
    const child = spawnLogged(spec.command, spec.args, spec)
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  supports (kind: FaultKind): boolean { return !NEEDS_NETNS.has(kind) }
  partition (): void { throw new Error('partitions need network namespaces') }
  loss (): void { throw new Error('packet loss needs network namespaces') }
  cap (): void { throw new Error('bandwidth caps need network namespaces') }
  delay (): void { throw new Error('delays need network namespaces') }
  fillDisk (): void { throw new Error('a full disk needs root (tmpfs)') }
  freeDisk (): void {}
  heal (): void {}

  cleanup (): void {
    for (const c of this.children) killGroup(c.pid, 'SIGKILL')
  }
}
