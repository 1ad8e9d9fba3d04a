// Bandwidth-predictor encoding, shared by training and inference: the last HISTORY throughput samples in
// log space (ln(Mbit/s + 0.1), so that outages near zero stay finite and errors are relative), each taken
// relative to the last sample. The model therefore sees only the link's shape, never its scale: a 5G link
// at 500 Mbit/s and a 3G link at 2 Mbit/s with the same ups and downs are one input (absolute scale was a
// feature that identified the data set, and the model forecast 5G links it had not seen 10x wrong).
// The traces carry no RTT per sample, so RTT is accepted in the input but not used.
import { NovacronError } from '../../config/errors.ts'

export const HISTORY = 10
export const OFFSET = 0.1

export const encodeMbps = (mbps: number): number => Math.log(mbps + OFFSET)
export const decodeMbps = (z: number): number => Math.max(0, Math.exp(z) - OFFSET)

/** [HISTORY] encoded samples relative to the last one (which encodes as 0), oldest first; a shorter history is padded with its oldest sample. */
export function encodeHistory (mbps: number[]): Float32Array {
  if (mbps.length === 0) throw new NovacronError('usage', 'bandwidth input: history needs at least one sample')
  const recent = mbps.slice(-HISTORY)
  const padded = [...new Array<number>(HISTORY - recent.length).fill(recent[0]), ...recent]
  const last = encodeMbps(recent[recent.length - 1])
  return Float32Array.from(padded, v => encodeMbps(v) - last)
}

/** The training target for a history: the next sample, relative to the history's last one. */
export function encodeTarget (next: number, history: number[]): number {
  return encodeMbps(next) - encodeMbps(history[history.length - 1])
}

/**
 * The model's output (its graph ends in exp(z) - offset, clipped at 0, in the relative scale) back to
 * Mbit/s of this link: (out + offset) is the ratio to the last sample's (Mbit/s + offset).
 */
export function decodeForecast (out: number, history: number[]): number {
  return Math.max(0, (out + OFFSET) * (history[history.length - 1] + OFFSET) - OFFSET)
}

export function parseBandwidthInput (value: unknown): number[] {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new NovacronError('usage', 'bandwidth input must be an object: { "history": [{ "mbps": N, "rttMs": N }, ...] }')
  const v = value as Record<string, unknown>
  const extra = Object.keys(v).filter(k => k !== 'history')
  if (extra.length > 0) throw new NovacronError('usage', `bandwidth input: unknown field(s) ${extra.join(', ')}`)
  if (!Array.isArray(v.history)) throw new NovacronError('usage', 'bandwidth input: history must be an array of { mbps, rttMs }')
  if (v.history.length === 0) throw new NovacronError('usage', 'bandwidth input: history needs at least one sample')
  if (v.history.length > 10_000) throw new NovacronError('usage', 'bandwidth input: history is too long (at most 10000 samples; the model reads the last 10)')
  return v.history.map((h: unknown, i: number) => {
    if (h == null || typeof h !== 'object' || Array.isArray(h)) throw new NovacronError('usage', `bandwidth input: history[${i}] must be an object { mbps, rttMs }`)
    const s = h as Record<string, unknown>
    if (typeof s.mbps !== 'number') throw new NovacronError('usage', `bandwidth input: history[${i}].mbps must be a number, got ${s.mbps === undefined ? 'nothing' : typeof s.mbps}`)
    if (!Number.isFinite(s.mbps) || s.mbps < 0) throw new NovacronError('usage', `bandwidth input: history[${i}].mbps must be a finite number >= 0, got ${s.mbps}`)
    if (s.rttMs !== undefined && (typeof s.rttMs !== 'number' || !Number.isFinite(s.rttMs) || s.rttMs < 0)) throw new NovacronError('usage', `bandwidth input: history[${i}].rttMs must be a finite number >= 0`)
    const unknown = Object.keys(s).filter(k => k !== 'mbps' && k !== 'rttMs')
    if (unknown.length > 0) throw new NovacronError('usage', `bandwidth input: history[${i}] has unknown field(s) ${unknown.join(', ')}`)
    return s.mbps
  })
}
