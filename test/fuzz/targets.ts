// Every decoder that reads bytes or text from outside, as a fuzz target: what it decodes, and how its
// typed failure looks. A target passes an input when the decoder neither throws past its caller nor fails
// with anything but its own typed error (the catch-all "malformed ... (" forms mean some other exception,
// a TypeError or RangeError, escaped the decoder's checks). Protocols join FUZZ_PROTOCOLS by name.
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { MessageCodec } from '../../src/consensus/core/message.ts'
import { decodeSigned } from '../../src/consensus/core/message.ts'
import { decodeRecord } from '../../src/consensus/core/record.ts'
import { pbftCodec } from '../../src/consensus/pbft/codec.ts'
import { bullsharkCodec } from '../../src/consensus/bullshark/codec.ts'
import type { AVAILABLE_PROTOCOLS } from '../../src/node/protocols.ts'
import { FrameDecoder, FrameTooLargeError } from '../../src/net/framing.ts'
import { decodeFrame } from '../../src/dwcp/wire/frames.ts'
import { DEFAULT_LIMITS } from '../../src/dwcp/wire/limits.ts'
import { decodeTx } from '../../src/state/tx.ts'
import { decodeSnapshot } from '../../src/state/snapshot.ts'
import { checkSignedTx, decodeSignedTx } from '../../src/state/signed-tx.ts'
import type { TxAuth } from '../../src/state/signed-tx.ts'
import { ed25519FromSeed } from '../../src/crypto/ed25519.ts'
import { decodeNodeRecord, decodeWorkloadRecord } from '../../src/state/records.ts'
import { HistoryFormatError, parseHistory, parseJepsenLog } from '../../src/chaos/check/index.ts'
import { parseGenesis } from '../../src/config/genesis.ts'
import { NovacronError } from '../../src/config/errors.ts'
import { threePhaseCodec } from '../../src/consensus/three-phase/codec.ts'
import { TrustLedger, evidenceCodec } from '../../src/consensus/tpbft/evidence.ts'

/** The signer of the signed-tx seeds (a fixed key, so the corpus's signatures verify) and the auth it checks them against. */
const fuzzKey = ed25519FromSeed(new Uint8Array(32).fill(1))
export const FUZZ_TX_AUTH: { key: typeof fuzzKey, auth: TxAuth } = {
  key: fuzzKey,
  auth: { genesisHash: new Uint8Array(32), validators: new Map([[Buffer.from(fuzzKey.publicKeyRaw).toString('hex'), '12D3KooWexample']]) }
}

export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/fuzz/', import.meta.url))

/** The message codec of every protocol the registry offers. */
export const FUZZ_PROTOCOLS: Record<(typeof AVAILABLE_PROTOCOLS)[number], MessageCodec<any>> = { pbft: pbftCodec, bullshark: bullsharkCodec }

/** T-PBFT's trust evidence (batch metadata) over the three-phase messages under the 'tpbft' tag. */
export const FUZZ_TPBFT_EVIDENCE = evidenceCodec(threePhaseCodec('tpbft'))

export class EscapedError extends Error {}

type Res = { ok: true } | { ok: false, error: string }
const UNTYPED = /^malformed (input \(|message: |record: |frame: |evidence: |trust ledger: )/

/** A Result-returning decoder: fine unless it throws or reports an escaped exception. */
function result (r: Res): void {
  if (!r.ok && UNTYPED.test(r.error)) throw new EscapedError(`untyped failure: ${r.error}`)
}

function typed (fn: () => unknown, ...allowed: Array<new (...a: any[]) => Error>): void {
  try {
    fn()
  } catch (e) {
    if (allowed.some(k => e instanceof k)) return
    throw new EscapedError(`escaped ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`)
  }
}

export interface FuzzTarget {
  name: string
  /** 'bytes': raw inputs mutated from the seeds; 'text': strings (JSON and logs). */
  kind: 'bytes' | 'text'
  run: (input: Uint8Array) => void
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8')

export function fuzzTargets (): FuzzTarget[] {
  const targets: FuzzTarget[] = []
  for (const [name, codec] of Object.entries(FUZZ_PROTOCOLS)) {
    targets.push({ name: `consensus-${name}-message`, kind: 'bytes', run: b => result(decodeSigned(codec, b)) })
    targets.push({ name: `consensus-${name}-wal`, kind: 'bytes', run: b => result(decodeRecord(codec, b)) })
  }
  targets.push(
    {
      name: 'net-framing',
      kind: 'bytes',
      run: b => {
        // Split the stream where its first byte says, decode in both modes.
        const cut = b.byteLength > 0 ? b[0] % (b.byteLength + 1) : 0
        typed(() => { const d = new FrameDecoder(256); d.push(b.subarray(0, cut)); d.push(b.subarray(cut)) }, FrameTooLargeError)
        typed(() => { const d = new FrameDecoder(256, { oversized: 'skip' }); d.push(b.subarray(0, cut)); d.push(b.subarray(cut)) })
      }
    },
    { name: 'dwcp-frame', kind: 'bytes', run: b => result(decodeFrame(b, DEFAULT_LIMITS)) },
    { name: 'state-tx', kind: 'bytes', run: b => result(decodeTx(b)) },
    { name: 'state-signed-tx', kind: 'bytes', run: b => { result(decodeSignedTx(b)); result(checkSignedTx(b, 12, 1024, FUZZ_TX_AUTH.auth)) } },
    { name: 'state-snapshot', kind: 'bytes', run: b => result(decodeSnapshot(b)) },
    { name: 'state-records', kind: 'bytes', run: b => { result(decodeNodeRecord(b)); result(decodeWorkloadRecord(b)) } },
    { name: 'chaos-history', kind: 'text', run: b => typed(() => { let raw: unknown; try { raw = JSON.parse(text(b)) } catch { return } parseHistory(raw) }, HistoryFormatError) },
    { name: 'chaos-jepsen-log', kind: 'text', run: b => typed(() => parseJepsenLog(text(b)), HistoryFormatError) },
    { name: 'tpbft-evidence', kind: 'bytes', run: b => result(FUZZ_TPBFT_EVIDENCE.decode(b)) },
    { name: 'tpbft-ledger', kind: 'bytes', run: b => result(TrustLedger.decode(b)) },
    { name: 'config-genesis', kind: 'text', run: b => typed(() => { let raw: unknown; try { raw = JSON.parse(text(b)) } catch { return } parseGenesis(raw) }, NovacronError) }
  )
  return targets
}

/** The seeds of a target: one hex string per line in test/fixtures/fuzz/NAME.hex (`TABLE:` prefixes dropped). */
export function seedsOf (name: string): Uint8Array[] {
  const file = join(CORPUS_DIR, `${name}.hex`)
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(l => l.trim() !== '').map(l => Uint8Array.from(Buffer.from(l.replace(/^\d+:/, '').trim(), 'hex')))
}
