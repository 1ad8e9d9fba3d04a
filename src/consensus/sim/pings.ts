// Which RTT table the simulator runs on: the full WonderNetwork pings under ../shared/data (or
// $NOVACRON_DATA_DIR) when present, else the 16-server matrix derived from them that ships as a test fixture
// (scripts/rtt-fixture.ts), so a fresh checkout simulates real RTTs too and replays match the tests.
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const dataDir = process.env.NOVACRON_DATA_DIR ?? resolve(repoRoot, '..', 'shared', 'data')

export const FULL_PINGS_CSV = resolve(dataDir, 'latency', 'wondernetwork', 'pings-2020-07-19-2020-07-20-grouped.csv')
export const FIXTURE_PINGS_CSV = resolve(repoRoot, 'test', 'fixtures', 'latency', 'wondernetwork-16.csv')

/** The pings CSV to simulate with, and whether it is the full data set. */
export function simPings (): { readonly path: string, readonly full: boolean } {
  return existsSync(FULL_PINGS_CSV) ? { path: FULL_PINGS_CSV, full: true } : { path: FIXTURE_PINGS_CSV, full: false }
}
