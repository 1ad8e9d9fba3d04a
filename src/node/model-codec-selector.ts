// DWCP's `auto` codec through the shipped compression model: the same cheap chunk features the model was
// trained on, the link's bandwidth, one row per chunk on the ml worker. If the model cannot run, the
// measured rule decides, so a transfer never waits on a missing model. Behind the guard: every
// SAMPLE_EVERY-th chunk on which the model and the rule disagree is compressed with both codecs, and the
// measured compress time plus the send time at the link's rate scores each; the guard hands `auto` to the
// rule while the model's choices have cost more over the window. The model reads this host's codec
// speeds: the labelling host's (from the manifest) until calibrate() has measured this one.
import { createCodec, RuleSelector, type Codec, type CodecSelector, type LinkInfo } from '../dwcp/index.ts'
import { CODECS, chunkFeatures, encodeCompression, type CodecLabel } from '../ml/features/compression.ts'
import type { ModelGuard } from '../ml/guard.ts'
import { calibrateHost, isCalibration, type HostCalibration } from '../ml/features/calibration.ts'
import type { ModelRegistry } from '../ml/registry.ts'

export const SAMPLE_EVERY = 16

function codecOf (label: CodecLabel): Codec {
  if (label.startsWith('zstd')) return createCodec('zstd', Number(label.slice(4)))
  return createCodec(label as 'none' | 'lz4' | 'snappy')
}

/** Seconds to compress `chunk` with `codec` (measured now) and send the result at the link's rate. */
export async function compressAndSendSeconds (codec: Codec, chunk: Uint8Array, link: LinkInfo): Promise<number> {
  const t0 = process.hrtime.bigint()
  const out = await codec.encode(chunk)
  const cpu = Number(process.hrtime.bigint() - t0) / 1e9
  return cpu + (out.byteLength * 8) / (Math.max(link.bandwidthMbps, 1e-3) * 1e6)
}

export class ModelCodecSelector implements CodecSelector {
  private readonly registry: ModelRegistry
  private readonly fallback = new RuleSelector()
  private readonly codecs = new Map<CodecLabel, Codec>(CODECS.map(c => [c, codecOf(c)]))
  private readonly guard: ModelGuard | null
  private disagreements = 0
  private broken = false
  private calibration: HostCalibration | null
  /** Where the CPU costs come from: 'manifest' (the labelling host) until this host is measured. */
  calibratedOn: 'manifest' | 'this host' = 'manifest'

  constructor (registry: ModelRegistry, guard?: ModelGuard) {
    this.registry = registry
    this.guard = guard ?? null
    const shipped = registry.manifest.models.compression?.baselineParams?.calibration
    this.calibration = isCalibration(shipped) ? shipped : null
  }

  /** Measures this host's codecs (about `budgetMs`, yielding between measurements) and uses them from then on. */
  async calibrate (budgetMs = 1000): Promise<HostCalibration> {
    const c = await calibrateHost(budgetMs)
    this.calibration = c
    this.calibratedOn = 'this host'
    return c
  }

  async choose (chunk: Uint8Array, link: LinkInfo): Promise<Codec> {
    const rule = this.fallback.choose(chunk, link)
    if (this.broken || this.calibration == null) return rule
    let model: Codec | undefined
    try {
      const [label] = await this.registry.runRows('compression', [encodeCompression(chunkFeatures(chunk), link.bandwidthMbps, this.calibration)], 'label')
      model = this.codecs.get(CODECS[Number(label[0])])
    } catch {
      this.broken = true
    }
    if (model == null) return rule
    if (this.guard == null) return model
    if (model.label !== rule.label && this.disagreements++ % SAMPLE_EVERY === 0) {
      this.guard.record(await compressAndSendSeconds(model, chunk, link), await compressAndSendSeconds(rule, chunk, link))
    }
    return this.guard.pick(model, rule)
  }
}
