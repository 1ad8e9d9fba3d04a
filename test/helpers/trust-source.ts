// A TrustSource over real epoch configurations of a small fake history, for the admin route and CLI tests
// of T-PBFT trust (test/unit/api/trust.test.ts, test/unit/cli/trust.test.ts).
import type { TrustEpochView, TrustSource } from '../../src/api/trust.ts'
import { ValidatorSet } from '../../src/consensus/core/validators.ts'
import { epochConfig, withEvidenceCounts } from '../../src/consensus/tpbft/epoch.ts'
import type { EpochConfig } from '../../src/consensus/tpbft/epoch.ts'
import { TrustLedger } from '../../src/consensus/tpbft/evidence.ts'
import { sha256 } from '../../src/crypto/hash.ts'

/** Two epochs of a 5-node cluster: everyone co-signs in epoch 0, node-c draws inner complaints and node-e
 *  is convicted. */
export function fakeTrustSource (): TrustSource {
  const ids = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e']
  const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
  const ledger = new TrustLedger()
  for (let seq = 1; seq <= 4; seq++) {
    ledger.apply(0, { key: `commit/${seq}`, ratings: ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => ({ rater: a, ratee: b, kind: 'agree' as const }))) })
  }
  ledger.apply(0, { key: 'inner/0/1', ratings: ['node-a', 'node-b', 'node-d'].map((rater) => ({ rater, ratee: 'node-c', kind: 'inner' as const })) })
  ledger.apply(0, { key: 'convict/node-e', ratings: [], convict: 'node-e' })
  const configs: EpochConfig[] = []
  for (let e = 0; e < 2; e++) configs.push(epochConfig({ epoch: e, validators, evidence: ledger, checkpointRoot: sha256(new Uint8Array([e])), groupSize: 4, previous: configs[e - 1] }))
  const views: TrustEpochView[] = configs.map((c) => withEvidenceCounts(c, ledger))
  return { epochs: () => [0, 1], epoch: (e) => views[e] }
}
