// What one T-PBFT epoch boundary costs in trust computation: epochConfig (local trust from the ledger,
// 32 EigenTrust steps in BigInt fixed point, ranking, windows, hash) and the ledger's canonical encoding,
// at n = 4, 16, 31, 100 over a full window of 8 epochs of evidence (every pair agreeing every epoch, some
// complaints), median of N runs each. Prints a table, then JSON.
//   nice -n 10 npx node bench/tpbft-trust.ts [--runs 15]
import { loadavg } from 'node:os'
import { ValidatorSet } from '../src/consensus/core/validators.ts'
import { epochConfig } from '../src/consensus/tpbft/epoch.ts'
import { TrustLedger } from '../src/consensus/tpbft/evidence.ts'
import type { Rating } from '../src/consensus/tpbft/evidence.ts'
import { sha256 } from '../src/crypto/hash.ts'

const args = process.argv.slice(2)
const runs = Number(args[args.indexOf('--runs') + 1] ?? 15) || 15
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }

const rows: Array<{ n: number, epochConfigMs: number, ledgerEncodeMs: number, ledgerBytes: number }> = []
for (const n of [4, 16, 31, 100]) {
  const ids = Array.from({ length: n }, (_, i) => `validator-${String(i).padStart(3, '0')}`)
  const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
  const ledger = new TrustLedger()
  for (let e = 0; e < 8; e++) {
    const ratings: Rating[] = []
    for (const a of ids) for (const b of ids) if (a !== b) ratings.push({ rater: a, ratee: b, kind: 'agree' })
    ledger.apply(e, { key: `commit/${e}`, ratings })
    ledger.apply(e, { key: `inner/${e}/0/1`, ratings: ids.slice(1, 4).map((rater): Rating => ({ rater, ratee: ids[e % n], kind: 'inner' })) })
  }
  const root = sha256(new Uint8Array([n]))
  const configMs: number[] = []
  const encodeMs: number[] = []
  let bytes = 0
  for (let r = 0; r < runs; r++) {
    let t = performance.now()
    epochConfig({ epoch: 8, validators, evidence: ledger, checkpointRoot: root, groupSize: 4, previous: { epoch: 7, hash: root } })
    configMs.push(performance.now() - t)
    t = performance.now()
    bytes = ledger.encode().byteLength
    encodeMs.push(performance.now() - t)
  }
  rows.push({ n, epochConfigMs: Number(median(configMs).toFixed(2)), ledgerEncodeMs: Number(median(encodeMs).toFixed(2)), ledgerBytes: bytes })
}
process.stdout.write(`tpbft trust per epoch boundary, median of ${runs} runs (load ${loadavg()[0].toFixed(2)})\n`)
process.stdout.write('     n  epochConfig ms  ledger encode ms  ledger bytes\n')
for (const r of rows) process.stdout.write(`${String(r.n).padStart(6)}  ${r.epochConfigMs.toFixed(2).padStart(14)}  ${r.ledgerEncodeMs.toFixed(2).padStart(16)}  ${String(r.ledgerBytes).padStart(12)}\n`)
process.stdout.write(JSON.stringify({ bench: 'tpbft-trust', runs, load1: loadavg()[0], rows }) + '\n')
