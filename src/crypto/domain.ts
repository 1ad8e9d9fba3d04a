// Every signed consensus payload starts with a domain tag so that a signature made by the node key (which
// also signs for libp2p) can never be replayed in another cluster, protocol version or message type.
import { toHex } from './hash.ts'

export const DOMAIN_VERSION = 'v1'

/** `novacron/v1/<genesis hash hex>/<message type>` followed by a NUL, so tag and payload never run together. */
export function domainTag (genesisHash: Uint8Array, messageType: string): Uint8Array {
  if (messageType.includes('\0')) throw new Error('message type may not contain NUL')
  return new TextEncoder().encode(`novacron/${DOMAIN_VERSION}/${toHex(genesisHash)}/${messageType}\0`)
}

/** Caches tags by (genesis, type): there are a handful of types and tags are built for every message. */
export class DomainTags {
  readonly #genesisHash: Uint8Array
  readonly #cache = new Map<string, Uint8Array>()
  constructor (genesisHash: Uint8Array) { this.#genesisHash = genesisHash }

  tag (messageType: string): Uint8Array {
    let t = this.#cache.get(messageType)
    if (t === undefined) {
      t = domainTag(this.#genesisHash, messageType)
      this.#cache.set(messageType, t)
    }
    return t
  }

  /** The exact bytes that are signed: tag || payload. */
  signingBytes (messageType: string, payload: Uint8Array): Uint8Array {
    const t = this.tag(messageType)
    const out = new Uint8Array(t.byteLength + payload.byteLength)
    out.set(t, 0)
    out.set(payload, t.byteLength)
    return out
  }
}
