// Computes an epoch configuration in a worker thread from a ledger's bytes, for the determinism test of
// test/unit/consensus/tpbft/epoch.test.ts (another isolate, same bytes in, same hash out).
import { parentPort, workerData } from 'node:worker_threads'
import { ValidatorSet } from '../../src/consensus/core/validators.ts'
import { epochConfig } from '../../src/consensus/tpbft/epoch.ts'
import { TrustLedger } from '../../src/consensus/tpbft/evidence.ts'

const { ids, ledger, root, epoch, previous } = workerData as { ids: string[], ledger: Uint8Array, root: Uint8Array, epoch: number, previous: Uint8Array }
const decoded = TrustLedger.decode(ledger)
if (!decoded.ok) throw new Error(decoded.error)
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const config = epochConfig({ epoch, validators, evidence: decoded.value, checkpointRoot: root, groupSize: 4, previous: { epoch: epoch - 1, hash: previous } })
parentPort?.postMessage(config.hash)
