// Admin routes for DWCP transfers: start a send (the CLI picks the id so it can poll progress while the
// send runs), list transfers, and show one.
import { isAbsolute } from 'node:path'
import { ApiError, type AdminApi } from '../api/server.ts'
import { CODEC_NAMES, isCodecName, type DwcpService } from '../dwcp/index.ts'

const ID = /^[0-9a-f]{32}$/

export function registerTransferRoutes (api: AdminApi, dwcp: DwcpService, isPeer: (id: string) => boolean): void {
  api.route('POST', '/v1/transfers', async req => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const { file, to, codec = 'auto', streams = 'auto', id, baseName } = body
    if (typeof file !== 'string' || !isAbsolute(file)) throw new ApiError(400, 'bad_request', '"file" must be an absolute path on the node\'s host')
    if (typeof to !== 'string' || !isPeer(to)) throw new ApiError(400, 'bad_request', `"to" must be the peer id of a validator of this cluster, got ${JSON.stringify(to)}`)
    if (codec !== 'auto' && !(typeof codec === 'string' && isCodecName(codec))) throw new ApiError(400, 'bad_request', `"codec" must be auto or one of ${CODEC_NAMES.join(', ')}`)
    if (streams !== 'auto' && !(typeof streams === 'number' && Number.isInteger(streams) && streams >= 1 && streams <= 64)) throw new ApiError(400, 'bad_request', '"streams" must be auto or an integer from 1 to 64')
    if (id !== undefined && !(typeof id === 'string' && ID.test(id))) throw new ApiError(400, 'bad_request', '"id" must be 32 hex characters')
    if (baseName !== undefined && typeof baseName !== 'string') throw new ApiError(400, 'bad_request', '"baseName" must be a file name at the receiver')
    try {
      const summary = await dwcp.send({ file, to, codec: codec as 'auto', streams: streams as number | 'auto', id: id as string | undefined, baseName: baseName as string | undefined, signal: req.signal })
      return { json: summary }
    } catch (err) {
      throw new ApiError(502, 'transfer_failed', `transfer to ${to.slice(-8)} failed: ${(err as Error).message}`)
    }
  })

  api.route('GET', '/v1/transfers', () => ({ json: dwcp.list() }))

  api.route('GET', '/v1/transfers/status', req => {
    const id = req.query.get('id') ?? ''
    const record = dwcp.status(id)
    if (record == null) throw new ApiError(404, 'not_found', `no transfer ${id} on this node`)
    return { json: record }
  })
}
