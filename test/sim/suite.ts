// Where the simulator suites find real RTTs: ../shared/data's WonderNetwork pings (they skip with a printed
// reason without it, and fail under NOVACRON_REQUIRE_DATA=1). The seed plans live in src/consensus/sim/suites.ts.
import { join } from 'node:path'
import { dataSet } from '../helpers/data.ts'

export function pingsCsv (): { path: string | null, skip: string | false } {
  const d = dataSet('latency/wondernetwork')
  return d.path === null ? { path: null, skip: d.skip } : { path: join(d.path, 'pings-2020-07-19-2020-07-20-grouped.csv'), skip: false }
}
