// The DWCP library's public surface: what src/node, src/api and src/cli use. Transport-agnostic: the node
// supplies FrameStreams (libp2p streams with length-prefixed frames) and a StreamDialer.
export type { FrameStream, StreamDialer, StreamHandler } from './transport/stream.ts'
export { MemoryNetwork } from './transport/memory.ts'
export type { LinkProfile, Tamper, TamperContext } from './transport/memory.ts'

export { DwcpService } from './service.ts'
export type { DwcpOptions, DwcpSendRequest, DwcpMetrics, PeerLinkState } from './service.ts'
export { TransferSender, newTransferId } from './amst/sender.ts'
export type { SenderOptions, SendRequest, DeltaSendRequest } from './amst/sender.ts'
export { TransferReceiver } from './amst/receiver.ts'
export type { ReceiverOptions, ReceiverEvent } from './amst/receiver.ts'
export { TransferError } from './amst/types.ts'
export type { TransferSummary, TransferProgress, DeltaSummary } from './amst/types.ts'
export type { TransferRecord } from './amst/transfer-log.ts'
export { planTransfer, DEFAULT_LINK } from './amst/plan.ts'
export type { TransferPlan } from './amst/plan.ts'
export { checkName } from './amst/names.ts'

export { selectorFor, RuleSelector, FixedSelector } from './codecs/select.ts'
export type { CodecSelector, CodecChoice, LinkInfo } from './codecs/select.ts'
export type { Codec, CodecName } from './codecs/codec.ts'
export { createCodec, isCodecName, CODEC_NAMES } from './codecs/registry.ts'

export { DictionaryStore, trainDictionary, dictionaryId } from './hde/dictionary.ts'

export { LinkMonitor, detectTier, TIER_THRESHOLDS } from './link/tier.ts'
export type { NetworkTier, LinkMeasurement } from './link/tier.ts'

export { PeerBreakers, withRetry, retryPolicy, isCircuitOpenError, DEFAULT_BREAKER, DEFAULT_RETRY } from './resilience/breaker.ts'
export type { CircuitStatus, BreakerOptions, RetryOptions, PeerBreakersOptions } from './resilience/breaker.ts'
export { HealthMonitor } from './resilience/health.ts'
export type { HealthComponent, ComponentState, ComponentStatus, HealthReport, HealthMonitorOptions } from './resilience/health.ts'
export { systemClock, ManualClock } from './resilience/clock.ts'
export type { Clock } from './resilience/clock.ts'

export { DEFAULT_LIMITS, maxFrameBytes } from './wire/limits.ts'
export type { WireLimits } from './wire/limits.ts'
