// The node's own link history, recorded where federated learning reads it (<dataDir>/fl/links): one
// `time_s Mbit/s` trace per peer, a line for every DWCP send's measured throughput. Raw samples stay on
// this host; only the model trained on them travels. Files are bounded: past maxBytes, the older half goes.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const LINKS_DIR = join('fl', 'links')

export interface LinkHistoryOptions {
  dataDir: string
  /** Largest file per peer before the older half is dropped. */
  maxBytes?: number
  /** Seconds since some fixed origin; the wall clock by default. */
  nowS?: () => number
}

export class LinkHistory {
  readonly dir: string
  readonly #maxBytes: number
  readonly #nowS: () => number

  constructor (o: LinkHistoryOptions) {
    this.dir = join(o.dataDir, LINKS_DIR)
    this.#maxBytes = o.maxBytes ?? 1024 * 1024
    this.#nowS = o.nowS ?? (() => Date.now() / 1000)
  }

  /** Appends one sample; a non-finite or negative throughput is not a measurement and is ignored. */
  record (peer: string, mbps: number): void {
    if (!Number.isFinite(mbps) || mbps < 0) return
    mkdirSync(this.dir, { recursive: true })
    // Peer ids are base58: safe as a file name; the prefix keeps them apart from files an operator adds.
    const file = join(this.dir, `dwcp-${peer.replace(/[^A-Za-z0-9]/g, '').slice(-16)}.txt`)
    appendFileSync(file, `${this.#nowS().toFixed(3)} ${mbps.toFixed(4)}\n`)
    if (statSync(file).size > this.#maxBytes) {
      const lines = readFileSync(file, 'utf8').split('\n').filter(l => l !== '')
      writeFileSync(file, lines.slice(Math.floor(lines.length / 2)).join('\n') + '\n')
    }
  }
}

/** A cheap signature of a directory's files (names and sizes): it changes whenever a sample is recorded. */
export function dirSignature (dir: string): string {
  if (!existsSync(dir)) return ''
  const parts: string[] = []
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else parts.push(`${p}:${st.size}`)
    }
  }
  walk(dir)
  return parts.join('|')
}
