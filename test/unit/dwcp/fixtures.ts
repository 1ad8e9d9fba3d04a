// Test data and a two-peer setup over the in-memory transport. Files are generated on disk in blocks so
// even the 100 MB case never sits in memory.
import { createCipheriv, createHash } from 'node:crypto'
import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryNetwork } from '../../../src/dwcp/transport/memory.ts'
import type { LinkProfile } from '../../../src/dwcp/transport/memory.ts'
import { TransferReceiver } from '../../../src/dwcp/amst/receiver.ts'
import type { ReceiverOptions } from '../../../src/dwcp/amst/receiver.ts'
import { TransferSender } from '../../../src/dwcp/amst/sender.ts'
import type { SenderOptions } from '../../../src/dwcp/amst/sender.ts'

/** Deterministic pseudo-random bytes (AES-CTR keystream), fast enough for hundreds of MB. */
export function randomStream (seed: string): (n: number) => Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  return (n) => cipher.update(Buffer.alloc(n))
}

const WORDS = 'the cluster node replicates a log of commands and every honest validator applies them in order to reach one state root while bulk data moves beside it'.split(' ')

export type Kind = 'random' | 'text' | 'vm'

/** `size` bytes of one kind, produced block by block. */
export function* blocks (kind: Kind, size: number, seed: string): Generator<Buffer> {
  const rnd = randomStream(`${kind}/${seed}`)
  const BLOCK = 1024 * 1024
  for (let done = 0; done < size;) {
    const n = Math.min(BLOCK, size - done)
    if (kind === 'random') {
      yield rnd(n)
    } else if (kind === 'text') {
      const picks = rnd(n)
      const parts: string[] = []
      let len = 0
      for (let i = 0; len < n; i++) {
        const w = WORDS[picks[i % n] % WORDS.length]
        parts.push(w)
        len += w.length + 1
      }
      yield Buffer.from(parts.join(' ') + ' ').subarray(0, n)
    } else {
      // Sparse like a VM disk: zeros, with a random run of 4-16 KiB (4 KiB aligned) per 128 KiB.
      const b = Buffer.alloc(n)
      const runs = Math.max(1, n >> 17)
      const r = rnd(8 * runs)
      for (let i = 0; i < runs; i++) {
        const start = (r.readUInt32BE(i * 8) % Math.max(1, n >> 12)) << 12
        const len = Math.min(n - start, ((r.readUInt32BE(i * 8 + 4) % 4) + 1) * 4096)
        rnd(len).copy(b, start)
      }
      yield b
    }
    done += n
  }
}

export async function writeFileOf (path: string, kind: Kind, size: number, seed = 'x'): Promise<Buffer> {
  const fh = await open(path, 'w')
  const h = createHash('sha256')
  try {
    for (const b of blocks(kind, size, seed)) {
      h.update(b)
      await fh.write(b)
    }
  } finally {
    await fh.close()
  }
  return h.digest()
}

export async function sha256Of (path: string): Promise<Buffer> {
  const { hashFile } = await import('../../../src/dwcp/amst/file-hash.ts')
  return await hashFile(path)
}

export async function tempDir (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dwcp-test-'))
  t.after(async () => await rm(dir, { recursive: true, force: true }))
  return dir
}

export interface Pair {
  net: MemoryNetwork
  sender: TransferSender
  receiver: TransferReceiver
  recvDir: string
  srcDir: string
  /** Replaces the receiver (as after a restart) on the same directory. */
  restartReceiver: (opts?: Partial<ReceiverOptions>) => Promise<TransferReceiver>
}

export async function pair (t: { after: (fn: () => Promise<void>) => void }, opts: { link?: LinkProfile, receiver?: Partial<ReceiverOptions>, sender?: Partial<SenderOptions> } = {}): Promise<Pair> {
  const root = await tempDir(t)
  const recvDir = join(root, 'inbox')
  const srcDir = join(root, 'src')
  const { mkdir } = await import('node:fs/promises')
  await mkdir(srcDir)
  const net = new MemoryNetwork(opts.link ?? {})
  const start = async (extra: Partial<ReceiverOptions> = {}): Promise<TransferReceiver> => {
    const r = new TransferReceiver({ dir: recvDir, durable: false, ...opts.receiver, ...extra })
    await r.init()
    net.listen('B', (s, from) => { void r.handleStream(s, from) })
    return r
  }
  const p: Pair = {
    net,
    sender: new TransferSender({ dialer: net.dialer('A'), workDir: root, ...opts.sender }),
    receiver: await start(),
    recvDir,
    srcDir,
    restartReceiver: async (extra) => {
      await p.receiver.close()
      p.receiver = await start(extra)
      return p.receiver
    }
  }
  t.after(async () => await p.receiver.close())
  return p
}

export async function readBytes (path: string): Promise<Buffer> {
  return await readFile(path)
}
