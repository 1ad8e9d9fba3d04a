// PBFT's messages are the three-phase engine's under the 'pbft' tag.
export { PBFT } from './variant.ts'
export type {
  BatchReply, BatchRequest, CheckpointMsg, Commit, FullPrePrepare, NewView, PrePrepare, Prepare, PreparedCert, RecAccept, RecNewView, RecPrepared, RecStable, RecView, Request, Status, ViewChange,
  ThreePhaseMessage as PbftMessage, ThreePhaseRecord as PbftRecord, ThreePhaseWireMessage as PbftWireMessage
} from '../three-phase/messages.ts'
