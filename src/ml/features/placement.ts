// The observation of one host agent for one placement decision (ALLOCATION-AND-FL.md §1.2), shared by
// training, the simulator and the node: what the host has free, what the request asks, whether and how
// well it fits here, and how loaded the cluster is. Hosts are interchangeable, so one actor serves all.
import type { Amount, HostView } from '../../alloc/policies.ts'

export const PLACEMENT_FEATURES = [
  'freeCpuFrac', 'freeMemFrac', 'reqCpuFrac', 'reqMemFrac', 'fits', 'leftCpuFrac', 'leftMemFrac',
  'clusterCpuUtil', 'clusterMemUtil', 'hostCpuShareOfCluster', 'live', 'reqMemPerCpuVsHost'
] as const
export const OBS = PLACEMENT_FEATURES.length

/** Rows of OBS floats, one per host, into `out` (length hosts × OBS). */
export function encodeObservations (request: Amount, hosts: readonly HostView[], out = new Float32Array(hosts.length * OBS)): Float32Array {
  let capC = 0; let capM = 0; let useC = 0; let useM = 0
  for (const h of hosts) { capC += h.capacity.cpu; capM += h.capacity.memMiB; useC += h.used.cpu; useM += h.used.memMiB }
  const cu = capC > 0 ? useC / capC : 0
  const mu = capM > 0 ? useM / capM : 0
  hosts.forEach((h, i) => {
    const C = Math.max(1, h.capacity.cpu)
    const M = Math.max(1, h.capacity.memMiB)
    const fc = (h.capacity.cpu - h.used.cpu) / C
    const fm = (h.capacity.memMiB - h.used.memMiB) / M
    const rc = request.cpu / C
    const rm = request.memMiB / M
    const fit = h.live && rc <= fc && rm <= fm && h.used.diskGiB + request.diskGiB <= h.capacity.diskGiB
    const o = i * OBS
    out[o] = fc; out[o + 1] = fm; out[o + 2] = rc; out[o + 3] = rm; out[o + 4] = fit ? 1 : 0
    out[o + 5] = fc - rc; out[o + 6] = fm - rm; out[o + 7] = cu; out[o + 8] = mu
    out[o + 9] = capC > 0 ? h.capacity.cpu / capC * hosts.length : 0
    out[o + 10] = h.live ? 1 : 0
    out[o + 11] = request.cpu > 0 ? Math.min(4, (request.memMiB / request.cpu) / (M / C)) : 0
  })
  return out
}
