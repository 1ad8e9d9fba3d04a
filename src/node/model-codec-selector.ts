// DWCP's `auto` codec through the shipped compression model: the same cheap chunk features the model was
// trained on, the link's bandwidth, one row per chunk on the ml worker. If the model cannot run, the
// measured rule decides, so a transfer never waits on a missing model.
import { createCodec, RuleSelector, type Codec, type CodecSelector, type LinkInfo } from '../dwcp/index.ts'
import { CODECS, chunkFeatures, encodeCompression, type CodecLabel } from '../ml/features/compression.ts'
import type { ModelRegistry } from '../ml/registry.ts'

function codecOf (label: CodecLabel): Codec {
  if (label.startsWith('zstd')) return createCodec('zstd', Number(label.slice(4)))
  return createCodec(label as 'none' | 'lz4' | 'snappy')
}

export class ModelCodecSelector implements CodecSelector {
  private readonly registry: ModelRegistry
  private readonly fallback = new RuleSelector()
  private readonly codecs = new Map<CodecLabel, Codec>(CODECS.map(c => [c, codecOf(c)]))
  private broken = false

  constructor (registry: ModelRegistry) {
    this.registry = registry
  }

  async choose (chunk: Uint8Array, link: LinkInfo): Promise<Codec> {
    if (this.broken) return this.fallback.choose(chunk, link)
    try {
      const [label] = await this.registry.runRows('compression', [encodeCompression(chunkFeatures(chunk), link.bandwidthMbps)], 'label')
      const codec = this.codecs.get(CODECS[Number(label[0])])
      if (codec != null) return codec
    } catch {
      this.broken = true
    }
    return this.fallback.choose(chunk, link)
  }
}
