// The admin API's FL routes: GET /v1/fl/status, GET /v1/fl/history, POST /v1/fl/start
// { rounds, policy, deadlineMs } (any node; a non-coordinator forwards the start to the coordinator).
import { ApiError, type AdminApi } from '../api/server.ts'
import { POLICIES, isPolicyName } from './selection.ts'
import type { FlService } from './service.ts'

export function registerFlRoutes (api: AdminApi, fl: FlService): void {
  api.route('GET', '/v1/fl/status', () => ({ json: fl.status() }))
  api.route('GET', '/v1/fl/history', () => ({ json: fl.versions() }))
  api.route('POST', '/v1/fl/start', async req => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const rounds = body.rounds ?? 1
    const policy = body.policy ?? 'full'
    const deadlineMs = body.deadlineMs ?? 30_000
    if (typeof rounds !== 'number' || !Number.isInteger(rounds) || rounds < 1 || rounds > 1000) throw new ApiError(400, 'bad_request', '"rounds" must be an integer from 1 to 1000')
    if (typeof policy !== 'string' || !isPolicyName(policy)) throw new ApiError(400, 'bad_request', `"policy" must be one of ${POLICIES.join(', ')}`)
    if (typeof deadlineMs !== 'number' || !Number.isFinite(deadlineMs) || deadlineMs < 100 || deadlineMs > 600_000) throw new ApiError(400, 'bad_request', '"deadlineMs" must be a number from 100 to 600000')
    try {
      return { json: await fl.start(rounds, policy, deadlineMs) }
    } catch (err) {
      throw new ApiError(503, 'unavailable', (err as Error).message)
    }
  })
}
