// The state root: an incremental homomorphic multiset hash (LtHash16, Lewi et al., "Securing Update
// Propagation with Homomorphic Hashing", 2019; the construction Facebook uses for its config
// replication).
//
// Why: a root after every batch must not cost a pass over the whole state. Each state entry
// (table, key, value) is expanded by SHAKE128 to 1024 lanes of uint16; the state's vector is the
// lane-wise sum mod 2^16 of its entries' vectors. A put adds the new entry (and subtracts the old one it
// replaces), a delete subtracts: O(1) per write whatever the state size, and the vector depends only on
// the set of entries, not on the order they were written in (so a put undone by a delete returns to the
// same root). Finding two different sets with the same vector is as hard as the SIS lattice problem for
// these parameters (about 200 bits at d = 1024, 16-bit lanes, per the paper; SHAKE128 as the expansion
// caps the whole at 128 bits, which is the level of everything else here). The root
// published in the log is sha256(domain tag || vector), so it is 32 bytes like every other hash here.
import { createHash, hash } from 'node:crypto'
import { endianness } from 'node:os'

export const LTHASH_LANES = 1024
export const LTHASH_BYTES = LTHASH_LANES * 2

const ELEMENT_TAG = Buffer.from('novacron/state/lthash16/v1\0')
const ROOT_TAG = Buffer.from('novacron/state/root/v1\0')

// The vector is stored and hashed as the machine's Uint16Array bytes; pinning little-endian keeps roots
// identical on every host (all platforms Node 24 supports are little-endian).
if (endianness() !== 'LE') throw new Error('novacron state hashing requires a little-endian host')

let scratch = Buffer.allocUnsafe(4096)

/** The element bytes of one state entry: length-prefixed so (table, key, value) splits one way only.
 * Valid until the next call (a reused buffer: this runs for every write). */
export function elementBytes (table: number, key: Uint8Array, value: Uint8Array): Buffer {
  const n = ELEMENT_TAG.length + 1 + 2 + key.length + value.length
  if (n > scratch.length) scratch = Buffer.allocUnsafe(n * 2)
  let o = ELEMENT_TAG.copy(scratch, 0)
  o = scratch.writeUInt8(table, o)
  o = scratch.writeUInt16BE(key.length, o)
  scratch.set(key, o)
  scratch.set(value, o + key.length)
  return scratch.subarray(0, n)
}

function expand (element: Uint8Array): Uint16Array {
  const out = hash('shake128', element, { outputLength: LTHASH_BYTES, outputEncoding: 'buffer' }) as unknown as Buffer
  // Native-allocated buffers are aligned; copy only if one ever is not, since Uint16Array needs it.
  const aligned = out.byteOffset % 2 === 0 ? out : Buffer.from(out)
  return new Uint16Array(aligned.buffer, aligned.byteOffset, LTHASH_LANES)
}

export class LtHash {
  readonly lanes: Uint16Array

  constructor (lanes?: Uint8Array) {
    this.lanes = new Uint16Array(LTHASH_LANES)
    if (lanes !== undefined) {
      if (lanes.length !== LTHASH_BYTES) throw new RangeError(`lthash vector must be ${LTHASH_BYTES} bytes, got ${lanes.length}`)
      new Uint8Array(this.lanes.buffer).set(lanes)
    }
  }

  /** Includes one state entry. */
  add (table: number, key: Uint8Array, value: Uint8Array): void {
    const v = expand(elementBytes(table, key, value))
    const a = this.lanes
    // Uint16Array stores wrap mod 2^16: exactly the group operation.
    for (let i = 0; i < LTHASH_LANES; i++) a[i] += v[i]
  }

  /** Removes one state entry that was added before. */
  remove (table: number, key: Uint8Array, value: Uint8Array): void {
    const v = expand(elementBytes(table, key, value))
    const a = this.lanes
    for (let i = 0; i < LTHASH_LANES; i++) a[i] -= v[i]
  }

  clone (): LtHash {
    return new LtHash(this.bytes())
  }

  /** A copy of the vector (what storage persists so a restart need not rehash the state). */
  bytes (): Uint8Array {
    return new Uint8Array(this.lanes.buffer.slice(0))
  }

  /** The 32-byte state root. The empty state's root is root of the zero vector. */
  root (): Uint8Array {
    return stateRootOf(new Uint8Array(this.lanes.buffer))
  }
}

export function stateRootOf (vector: Uint8Array): Uint8Array {
  return createHash('sha256').update(ROOT_TAG).update(vector).digest()
}
