// Parses HotStuff benchmark summaries (one file per configuration, one SUMMARY block per run).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../../config/errors.ts'

export interface BenchRun {
  file: string
  protocol: string
  nodes: number
  faults: number
  rateTxS: number
  txSize: number
  consensusLatencyMs: number
  endToEndLatencyMs: number
}

const num = (block: string, label: string): number => {
  const m = new RegExp(`${label}:\\s*([\\d,\\.]+)`).exec(block)
  return m == null ? NaN : Number(m[1].replace(/,/g, ''))
}

export function readHotstuffRuns (dir: string): BenchRun[] {
  let names: string[]
  try {
    names = readdirSync(dir).filter(n => n.endsWith('.txt')).sort()
  } catch {
    throw new NovacronError('usage', `${dir} is not a readable directory of benchmark summaries`)
  }
  const runs: BenchRun[] = []
  for (const name of names) {
    const protocol = name.split('__')[0]
    for (const block of readFileSync(join(dir, name), 'utf8').split('SUMMARY:').slice(1)) {
      const r: BenchRun = {
        file: name,
        protocol,
        nodes: num(block, 'Committee size'),
        faults: num(block, 'Faults'),
        rateTxS: num(block, 'Input rate'),
        txSize: num(block, 'Transaction size'),
        consensusLatencyMs: num(block, 'Consensus latency'),
        endToEndLatencyMs: num(block, 'End-to-end latency')
      }
      if ([r.nodes, r.faults, r.rateTxS, r.consensusLatencyMs].every(Number.isFinite) && r.consensusLatencyMs > 0) runs.push(r)
    }
  }
  if (runs.length === 0) throw new NovacronError('usage', `no benchmark summaries found in ${dir}`)
  return runs
}
