// The command table: one line per top-level command, in the order `--help` lists them. A command's module
// is imported only when that command runs (or for `completion`), so `novacron --version` and thin client
// commands never load libp2p, onnxruntime, Ink or the logger. Adding a command is adding one line here.
import type { Register } from '../main.ts'

export interface CommandEntry {
  name: string
  /** The one-line description `novacron --help` shows (the command's module need not repeat it). */
  summary: string
  load: () => Promise<Register>
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'init', summary: "create this host's node key (Ed25519, 0600), VRF key (0600), admin token and default config in its data dir", load: async () => (await import('./init.ts')).registerInit },
  { name: 'node', summary: 'run this host as a cluster node, stop it, or show its identity', load: async () => (await import('./node.ts')).registerNode },
  { name: 'genesis', summary: 'create the genesis file every validator of a cluster starts from', load: async () => (await import('./genesis.ts')).registerGenesis },
  { name: 'devnet', summary: 'run a local cluster of real node processes on loopback', load: async () => (await import('./devnet.ts')).registerDevnet },
  { name: 'status', summary: "show the node's cluster, consensus and peer status (a live TUI on a terminal)", load: async () => (await import('./status.ts')).registerStatus },
  { name: 'peers', summary: 'list the peers this node knows: validators of the genesis and connected observers', load: async () => (await import('./status.ts')).registerPeers },
  { name: 'health', summary: "show the health of the node's components (exit 1 when down)", load: async () => (await import('./status.ts')).registerHealth },
  { name: 'kv', summary: 'read and write the replicated key-value store', load: async () => (await import('./kv.ts')).registerKv },
  { name: 'tx', summary: 'submit commands to the replicated log', load: async () => (await import('./tx.ts')).registerTx },
  { name: 'log', summary: 'read the committed log', load: async () => (await import('./log.ts')).registerLog },
  { name: 'bench', summary: 'benchmark a protocol on a fresh devnet of real processes (or in the simulator): tps applied on every node, end-to-end latency, CPU and memory per node', load: async () => (await import('./bench.ts')).registerBench },
  { name: 'models', summary: 'list, query, evaluate and train the ONNX models (bandwidth, compression, reliability, consensus latency, placement)', load: async () => (await import('./models.ts')).registerModels },
  { name: 'transfer', summary: 'move files between nodes with DWCP (multi-stream, compressed, resumable)', load: async () => (await import('./transfer.ts')).registerTransfer },
  { name: 'backup', summary: 'back up a running node to one file, check such a file, or seed a new host\'s data dir from it', load: async () => (await import('./backup.ts')).registerBackup },
  { name: 'context', summary: 'named nodes to talk to (URL and token file), kept under $XDG_CONFIG_HOME/novacron', load: async () => (await import('./context.ts')).registerContext },
  { name: 'completion', summary: 'print a shell completion script (bash, zsh or fish)', load: async () => (await import('./completion.ts')).registerCompletion },
  { name: 'workload', summary: 'submit, list, show and stop workloads; the cluster places them through consensus', load: async () => (await import('./workload.ts')).registerWorkload },
  { name: 'chaos', summary: 'run a chaos manifest on real node processes (faults per link in network namespaces) or check a client history for linearizability', load: async () => (await import('./chaos.ts')).registerChaos },
  { name: 'vrf', summary: 'prove and verify with the ECVRF of RFC 9381 (ECVRF-EDWARDS25519-SHA512-TAI), the VRF ProBFT samples its votes with', load: async () => (await import('./vrf.ts')).registerVrf },
  { name: 'probft', summary: 'ProBFT tools: the analytic odds of its sampled quorums for (n, f, l, o)', load: async () => (await import('./probft.ts')).registerProbft },
  { name: 'trust', summary: 'T-PBFT trust: show an epoch\'s EigenTrust ranking with each node\'s evidence counts', load: async () => (await import('./trust.ts')).registerTrust },
  { name: 'fl', summary: 'federated learning of the bandwidth forecaster among the validators: start rounds, show status and history', load: async () => (await import('./fl.ts')).registerFl }
]
