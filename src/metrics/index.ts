// Every metric the node exports, declared in one place. Parts receive only the group they update.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

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
  const consensus = {
    height: new Gauge({ name: 'novacron_height', help: 'Highest committed and applied log position', registers: r }),
    view: new Gauge({ name: 'novacron_view', help: 'Current consensus view', registers: r }),
    committedTx: new Counter({ name: 'novacron_committed_tx_total', help: 'Transactions committed and applied', registers: r }),
    commitLatency: new Histogram({ name: 'novacron_commit_latency_seconds', help: 'From submission at this node to its commit being applied here', buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
    batchSize: new Histogram({ name: 'novacron_batch_size', help: 'Transactions per committed batch', buckets: [0, 1, 4, 16, 64, 256, 1024, 4096], registers: r }),
    fsyncSeconds: new Histogram({ name: 'novacron_fsync_seconds', help: 'Durable writes: consensus WAL appends and batch commits', labelNames: ['what'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5], registers: r }),
    viewChanges: new Counter({ name: 'novacron_view_changes_total', help: 'View changes this node went through', registers: r }),
    newViews: new Counter({ name: 'novacron_outer_view_changes_total', help: 'New views installed (completed view changes; T-PBFT: outer view changes)', registers: r }),
    innerFailovers: new Counter({ name: 'novacron_inner_failovers_total', help: 'T-PBFT: acting proposers replaced inside a view by their group', registers: r }),
    messagesDropped: new Counter({ name: 'novacron_consensus_messages_dropped_total', help: 'Consensus messages dropped by the driver', labelNames: ['reason'], registers: r }),
    snapshotsInstalled: new Counter({ name: 'novacron_snapshots_installed_total', help: 'State transfers completed by installing a snapshot', registers: r }),
    snapshotsServed: new Counter({ name: 'novacron_snapshots_served_total', help: 'Snapshots sent to peers catching up', registers: r }),
    mempoolTxs: new Gauge({ name: 'novacron_mempool_txs', help: 'Transactions waiting to be ordered', registers: r }),
    submitRefused: new Counter({ name: 'novacron_submit_refused_total', help: 'Transactions refused at submission', labelNames: ['reason'], registers: r })
  }
  const dwcp = {
    transfers: new Gauge({ name: 'novacron_dwcp_transfers', help: 'DWCP transfers by direction and outcome since start', labelNames: ['direction', 'outcome'], registers: r }),
    bytes: new Gauge({ name: 'novacron_dwcp_bytes', help: 'DWCP bytes since start: raw file bytes and bytes on the wire', labelNames: ['kind'], registers: r }),
    chunksResent: new Gauge({ name: 'novacron_dwcp_chunks_resent', help: 'DWCP chunks sent again after a failed check', registers: r }),
    chunksByCodec: new Gauge({ name: 'novacron_dwcp_chunks', help: 'DWCP chunks sent per codec', labelNames: ['codec'], registers: r }),
    circuitOpen: new Gauge({ name: 'novacron_circuit_open', help: 'Per-peer breakers not closed (1 open, 0.5 half-open)', labelNames: ['peer'], registers: r })
  }
  const health = {
    component: new Gauge({ name: 'novacron_component_status', help: 'Component health: 0 ok, 1 degraded, 2 failed or restarting', labelNames: ['name'], registers: r }),
    restarts: new Gauge({ name: 'novacron_component_restarts', help: 'Restarts of a component by the health loop', labelNames: ['name'], registers: r })
  }
  const models = {
    inCharge: new Gauge({ name: 'novacron_model_in_charge', help: 'Who decides for each model: 1 the model, 0 its baseline (the guard)', labelNames: ['model', 'baseline'], registers: r }),
    liveLoss: new Gauge({ name: 'novacron_model_live_loss', help: 'Mean loss over the guard window on what this node observed (lower is better)', labelNames: ['model', 'scorer'], registers: r }),
    switches: new Gauge({ name: 'novacron_model_guard_switches', help: 'Times the guard handed a model\'s decision over', labelNames: ['model'], registers: r }),
    consensusTimeout: new Gauge({ name: 'novacron_consensus_timeout_ms', help: 'View-change / leader timeout in force (first attempt), labelled by who set it: model, baseline or genesis', labelNames: ['set_by'], registers: r })
  }
  const api = {
    requests: new Counter({ name: 'novacron_api_requests_total', help: 'Admin API requests', labelNames: ['route', 'status'], registers: r })
  }
  return { registry, net, consensus, dwcp, health, models, api }
}

export type Metrics = ReturnType<typeof createMetrics>
export type NetMetrics = Metrics['net']
export type ApiMetrics = Metrics['api']
export type ConsensusMetrics = Metrics['consensus']
