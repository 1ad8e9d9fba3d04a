// What the rest of NovaCron knows about a protocol: its name, codec, timers, parameters (defaults and
// validation, from genesis and from code), its factory, how the simulator runs it, and its planted bugs.
// Each protocol folder exports one; src/consensus/registry.ts lists them.
import type { Signer, Verifier } from '../../crypto/signer.ts'
import type { Vrf } from '../../crypto/vrf.ts'
import type { Message, MessageCodec, MessageSigner } from './message.ts'
import type { Protocol, TimerId } from './protocol.ts'
import type { ValidatorId, ValidatorSet } from './validators.ts'

/** This replica's VRF and every validator's VRF public key (from genesis). */
export interface ProtocolVrf {
  /** ECVRF in the node, crypto/vrf.ts's fake in the simulator. */
  readonly vrf: Vrf
  readonly publicKeys: ReadonlyMap<ValidatorId, Uint8Array>
}

/** The keys and validator set a node builds its protocol from. */
export interface ProtocolKeys {
  readonly self: ValidatorId
  readonly validators: ValidatorSet
  /** Signs as `self` (Ed25519Signer in the node, FakeSigner in the simulator). */
  readonly signer: Signer
  /** Checks signatures nested in certificates (Ed25519Verifier over validators.publicKeys()). */
  readonly verifier: Verifier
  /** sha256 of the genesis file: part of every signature's domain tag. */
  readonly genesisHash: Uint8Array
  /** For protocols that sample with a VRF (ProBFT); injected like the signer. */
  readonly vrf?: ProtocolVrf
}

/** Raised for parameters a protocol refuses; the message names the key and the limit. */
export class ParamError extends RangeError {}

export interface ProtocolParams<P> {
  readonly defaults: P
  /** Validates overrides on top of the defaults (code and tests); throws ParamError. */
  parse (overrides?: Partial<P>): P
  /** The keys a genesis file may set, with their defaults (positive integers). */
  readonly genesisDefaults: Readonly<Record<string, number>>
  /** Validates a genesis file's params (unknown keys, values the codecs and the WAL cannot carry) and
   *  returns the protocol's parameters; throws ParamError naming the key and the limit. */
  fromGenesis (raw: Readonly<Record<string, number>>, validators: number): P
}

/** Which family of simulator adversaries applies: the three-phase (PBFT-family) or the DAG ones; 'group' is
 *  the three-phase family plus attacks on a co-signing primary group (T-PBFT). */
export type AdversaryFamily = 'three-phase' | 'dag' | 'group'

export interface SimSettings<P> {
  /** Parameters sized for the simulator's WAN latencies. */
  readonly params: Partial<P>
  /** The suite's seed plan cycles through these, in this order ('none' included). */
  readonly adversaries: readonly string[]
  readonly adversaryFamily: AdversaryFamily
  /** Cluster sizes the suite covers. */
  readonly sizes: readonly number[]
  /** Seeds `npm test` runs. */
  readonly seeds: number
  /** Evidence that each adversary bit: some seed with it logs this protocol event on an honest node (on
   *  a network without partitions, crashes or loss, when `cleanNetwork`). */
  readonly bites: Readonly<Record<string, { readonly event: string, readonly cleanNetwork?: boolean }>>
  /** Half of the crashes outlast the garbage-collection depth (only state transfer brings such a node back). */
  readonly longCrashes: boolean
  /** The timeout a 'delay' adversary slips just past. */
  timeoutMs (p: P): number
  /** Where an adversary's nodes sit (indices into `ids`, the canonical order) when placement is the
   *  attack (T-PBFT: the whole first group), or undefined for the suite's random placement; at most f. */
  placeByzantine? (adversary: string, ids: readonly ValidatorId[]): readonly number[] | undefined
}

export type Checker = 'agreement' | 'validity' | 'liveness' | 'determinism'

/** A deliberately broken build of the protocol that exactly one checker must catch. */
export interface PlantedBug<P> {
  readonly name: string
  readonly checker: Checker
  /** The adversary the simulator runs it against. */
  readonly adversary: string
  create (keys: ProtocolKeys, params: P): Protocol<Message>
}

/** The timers that end a wait on other nodes (view change, a round's leader wait), which a host may stretch
 *  or shrink at run time (the driver's timerMs hook), and the bounds it must keep them in. */
export interface AdaptiveTimeoutSpec<P> {
  readonly timers: readonly TimerId[]
  /** The duration these parameters give the first attempt (the genesis value). */
  baseMs (p: P): number
  /** The most a host may set (the genesis maximum). */
  maxMs (p: P): number
  /** The part of a transaction's commit latency this timer waits for (default 1: the whole commit). A host
   *  raises the timer above baseMs only when TIMEOUT_SAFETY × this × the predicted p99 commit latency is above it. */
  readonly latencyShare?: number
}

export interface ProtocolModule<P = unknown, M extends Message = Message> {
  /** The protocol tag of its messages and its signing domain; the genesis `protocol` value. */
  readonly name: string
  readonly codec: MessageCodec<M>
  /** Every timer id the protocol may set. */
  readonly timers: readonly TimerId[]
  readonly params: ProtocolParams<P>
  create (keys: ProtocolKeys, params: P): Protocol<M>
  /** Sequence numbers between checkpoints: the state machine keeps snapshots there. */
  checkpointInterval (p: P): number
  /** The slot a message of this replica's occupies where signing two different ones would equivocate
   *  (PBFT: a phase vote for a view and sequence number; Bullshark: a header for a round, a vote for an
   *  author's round); undefined for messages free to differ (status, relays, certificates). A replica never
   *  signs two different messages for one slot, also across restarts: the compliance suite checks it. */
  signingSlot (msg: M): string | undefined
  /** A signer under this protocol's codec, for simulator adversaries that forge as their own node. */
  messageSigner (keys: ProtocolKeys): MessageSigner<M>
  readonly sim: SimSettings<P>
  /** Optional: the timeout a host may adapt (see AdaptiveTimeoutSpec). */
  readonly adaptiveTimeout?: AdaptiveTimeoutSpec<P>
  readonly plantedBugs: readonly PlantedBug<P>[]
  /** The protocol samples with a VRF (ProBFT): the node must load its VRF key and inject keys.vrf. */
  readonly samplesWithVrf?: boolean
}

/** Applies a genesis file's params to `defaults`, refusing keys that are not in `defaults`. */
export function genesisOverrides (raw: Readonly<Record<string, number>>, defaults: Readonly<Record<string, number>>, protocol: string): Record<string, number> {
  const out: Record<string, number> = { ...defaults }
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in defaults)) throw new ParamError(`params: ${protocol} has no parameter "${key}" (it takes ${Object.keys(defaults).join(', ')})`)
    out[key] = value
  }
  return out
}
