// PBFT's codec: the three-phase layout under the 'pbft' tag, without vote proofs.
import { threePhaseCodec } from '../three-phase/codec.ts'
import { PBFT } from './variant.ts'

export const pbftCodec = threePhaseCodec(PBFT)
