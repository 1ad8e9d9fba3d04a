// ECVRF cost on this machine: prove and verify (one-shot, and through the injected `Vrf` with the secret
// expanded and the sender's key table cached, as ProBFT uses it), against node:crypto Ed25519 and the
// simulator's fake VRF. Every operation runs `--runs` rounds of `--count` calls; the table shows the median
// wall-clock microseconds per call over all calls, with p10/p90, and this thread's CPU microseconds per call
// (the round's CPU time over its calls, median of the rounds: the kernel counts CPU time in ticks, too coarse
// for one call), which a loaded machine's preemption does not inflate; --json prints the same as one JSON
// document.
//   npm run bench:vrf -- [--runs 5] [--count 100] [--json]
import { parseArgs } from 'node:util'
import { cpus, loadavg } from 'node:os'
import { ecvrf, fakeVrf, fakeVrfPublicKey, vrfKeyFromSeed, vrfProve, vrfVerify } from '../src/crypto/vrf.ts'
import { ed25519FromSeed, ed25519Sign, ed25519Verify } from '../src/crypto/ed25519.ts'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, count: { type: 'string', default: '100' }, json: { type: 'boolean', default: false } } })
const runs = Number(values.runs)
const count = Number(values.count)
if (!(Number.isInteger(runs) && runs > 0 && Number.isInteger(count) && count > 0)) throw new Error('--runs and --count must be positive integers')

const quantile = (xs: number[], q: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))] }
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }

const seed = new Uint8Array(32).map((_, i) => i * 7 + 1)
const { publicKey } = vrfKeyFromSeed(seed)
const vrf = ecvrf(seed)
const verifier = ecvrf(new Uint8Array(32).fill(9))
const alphas = Array.from({ length: count }, (_, i) => new TextEncoder().encode(`NovaCron/ProBFT/v1 bench ${i}`))
const proofs = alphas.map((a) => vrfProve(seed, a))
const fake = fakeVrf(fakeVrfPublicKey('bench'))
const fakeProofs = alphas.map((a) => fake.prove(a).proof)
const ed = ed25519FromSeed(seed)
const sigs = alphas.map((a) => ed25519Sign(ed.privateKey, a))

const ops: Array<[string, (i: number) => unknown]> = [
  ['ecvrf prove (vrfProve, one-shot)', (i) => vrfProve(seed, alphas[i])],
  ['ecvrf prove (Vrf.prove, key expanded once)', (i) => vrf.prove(alphas[i])],
  ['ecvrf verify (vrfVerify, one-shot)', (i) => vrfVerify(publicKey, alphas[i], proofs[i])],
  ['ecvrf verify (Vrf.verify, sender key cached)', (i) => verifier.verify(publicKey, alphas[i], proofs[i])],
  ['ed25519 sign (node:crypto)', (i) => ed25519Sign(ed.privateKey, alphas[i])],
  ['ed25519 verify (node:crypto)', (i) => ed25519Verify(ed.publicKey, alphas[i], sigs[i])],
  ['fake VRF prove', (i) => fake.prove(alphas[i])],
  ['fake VRF verify', (i) => fake.verify(fake.publicKey, alphas[i], fakeProofs[i])]
]

// Warm up every path (JIT, the cached key table) before timing.
for (const [, op] of ops) for (let i = 0; i < Math.min(count, 20); i++) op(i)
if (verifier.verify(publicKey, alphas[0], proofs[0]) === null) throw new Error('bench proofs do not verify')

const results = ops.map(([name, op]) => {
  const us: number[] = []
  const cpuUs: number[] = []
  for (let r = 0; r < runs; r++) {
    const c0 = process.threadCpuUsage()
    for (let i = 0; i < count; i++) {
      const t0 = performance.now()
      op(i)
      us.push((performance.now() - t0) * 1000)
    }
    const c = process.threadCpuUsage(c0)
    cpuUs.push((c.user + c.system) / count)
  }
  return { op: name, calls: us.length, medianUs: Number(median(us).toFixed(1)), p10Us: Number(quantile(us, 0.1).toFixed(1)), p90Us: Number(quantile(us, 0.9).toFixed(1)), cpuUsPerCall: Number(median(cpuUs).toFixed(1)) }
})

const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavg1m: Number(loadavg()[0].toFixed(2)), node: process.version }
if (values.json) {
  process.stdout.write(JSON.stringify({ runs, count, results, machine }) + '\n')
} else {
  const w = Math.max(...results.map((r) => r.op.length))
  process.stdout.write(`${'operation'.padEnd(w)}  ${'median us'.padStart(10)}  ${'p10'.padStart(8)}  ${'p90'.padStart(8)}  ${'cpu us'.padStart(8)}  calls\n`)
  for (const r of results) process.stdout.write(`${r.op.padEnd(w)}  ${String(r.medianUs).padStart(10)}  ${String(r.p10Us).padStart(8)}  ${String(r.p90Us).padStart(8)}  ${String(r.cpuUsPerCall).padStart(8)}  ${r.calls}\n`)
  process.stdout.write(`machine: ${machine.cpus} x ${machine.cpu}, load ${machine.loadavg1m}, node ${machine.node}\n`)
  process.stdout.write(JSON.stringify({ runs, count, results, machine }) + '\n')
}
