// Which consensus protocol a genesis names, built with its parameters. A protocol that is not built yet
// is refused plainly rather than pretended.
import { createPbft } from '../consensus/pbft/index.ts'
import { createBullshark } from '../consensus/bullshark/index.ts'
import type { Message, Protocol, ValidatorSet } from '../consensus/core/index.ts'
import type { Signer, Verifier } from '../crypto/index.ts'
import type { Genesis } from '../config/genesis.ts'
import { NovacronError } from '../config/errors.ts'

export interface ProtocolKeys {
  self: string
  validators: ValidatorSet
  signer: Signer
  verifier: Verifier
  genesisHash: Uint8Array
}

export const AVAILABLE_PROTOCOLS = ['pbft', 'bullshark'] as const

export function createProtocol (genesis: Genesis, keys: ProtocolKeys): Protocol<Message> {
  const p = genesis.params
  switch (genesis.protocol) {
    case 'pbft':
      return createPbft({
        ...keys,
        params: {
          batchSize: p.batchSize,
          batchDelayMs: p.batchDelayMs,
          relayDelayMs: 1,
          viewChangeTimeoutMs: p.viewChangeTimeoutMs,
          checkpointInterval: p.checkpointInterval,
          // PBFT wants the watermark window to be a multiple of the checkpoint interval.
          watermarkWindow: 4 * p.checkpointInterval
        }
      }) as unknown as Protocol<Message>
    case 'bullshark':
      return createBullshark({
        ...keys,
        params: {
          batchSize: p.batchSize,
          batchDelayMs: p.batchDelayMs,
          maxHeaderDelayMs: p.maxHeaderDelayMs,
          gcDepth: p.gcDepth,
          // Snapshots are kept at multiples of the genesis checkpoint interval, so checkpoints must match.
          checkpointInterval: p.checkpointInterval
        }
      }) as unknown as Protocol<Message>
    default:
      throw new NovacronError('failure', `consensus protocol ${genesis.protocol} is not available in this version (available: ${AVAILABLE_PROTOCOLS.join(', ')})`)
  }
}
