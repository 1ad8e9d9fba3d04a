// Every metric the node exports, declared in one place. Parts receive only the group they update.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

export function createMetrics (registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'novacron_process_' })
  const r = [registry]
  const net = {
    peersConnected: new Gauge({ name: 'novacron_peers_connected', help: 'Connected peers (validators and observers)', registers: r }),
    validatorsConnected: new Gauge({ name: 'novacron_validators_connected', help: 'Connected validators of the genesis set', registers: r }),
    messagesOut: new Counter({ name: 'novacron_messages_out_total', help: 'Channel messages sent', labelNames: ['protocol'], registers: r }),
    messagesIn: new Counter({ name: 'novacron_messages_in_total', help: 'Channel messages received', labelNames: ['protocol'], registers: r }),
    bytesOut: new Counter({ name: 'novacron_bytes_out_total', help: 'Channel payload bytes sent', labelNames: ['protocol'], registers: r }),
    bytesIn: new Counter({ name: 'novacron_bytes_in_total', help: 'Channel payload bytes received', labelNames: ['protocol'], registers: r }),
    sends: new Counter({ name: 'novacron_stream_sends_total', help: 'Coalesced writes to libp2p streams', labelNames: ['protocol'], registers: r }),
    dialErrors: new Counter({ name: 'novacron_dial_errors_total', help: 'Failed dials to validators', registers: r }),
    framesDropped: new Counter({ name: 'novacron_frames_dropped_total', help: 'Frames or messages dropped', labelNames: ['reason'], registers: r }),
    streamsRefused: new Counter({ name: 'novacron_streams_refused_total', help: 'Inbound channel streams refused (peer not a validator)', labelNames: ['protocol'], registers: r }),
    queueDepth: new Gauge({ name: 'novacron_send_queue_messages', help: 'Messages queued for sending, all peers', registers: r }),
    queueBytes: new Gauge({ name: 'novacron_send_queue_bytes', help: 'Bytes queued for sending, all peers', registers: r })
  }
  const api = {
    requests: new Counter({ name: 'novacron_api_requests_total', help: 'Admin API requests', labelNames: ['route', 'status'], registers: r })
  }
  return { registry, net, api }
}

export type Metrics = ReturnType<typeof createMetrics>
export type NetMetrics = Metrics['net']
export type ApiMetrics = Metrics['api']
