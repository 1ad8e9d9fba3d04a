// Who may sign which transactions in a cluster: the genesis's validators (public key -> peer id), for the
// state machine's checks on apply (signed-tx.ts); the one place the node and a backup's replay build it.
import type { Genesis } from '../config/genesis.ts'
import type { TxAuth } from '../state/signed-tx.ts'
import { fromHex } from '../crypto/index.ts'

export function txAuthFor (genesis: Genesis, genesisHashHex: string): TxAuth {
  return { genesisHash: fromHex(genesisHashHex), validators: new Map(genesis.validators.map(v => [v.publicKey.toLowerCase(), v.peerId])) }
}
