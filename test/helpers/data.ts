// Locates ../shared/data for tests. A new user has no ../shared: such tests skip with a printed reason,
// except under NOVACRON_REQUIRE_DATA=1 (CI), where a missing data set is a failure.
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const sharedDataDir = process.env.NOVACRON_DATA_DIR ?? resolve(repoRoot, '..', 'shared', 'data')

/** Path of a data set under ../shared/data, or a skip reason for node:test's `skip` option. */
export function dataSet (relative: string): { path: string, skip: false } | { path: null, skip: string } {
  const path = join(sharedDataDir, relative)
  if (existsSync(path)) return { path, skip: false }
  const reason = `data set ${relative} not found at ${path} (../shared/data is absent)`
  if (process.env.NOVACRON_REQUIRE_DATA === '1') throw new Error(`NOVACRON_REQUIRE_DATA=1 but ${reason}`)
  console.log(`# skip: ${reason}`)
  return { path: null, skip: reason }
}
