// CPU and memory of a process from /proc (Linux), sampled before and after a run.
import { readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100

/** `peakRssMiB`: the process's highest RSS since it started (VmHWM), so a run's peak is not missed
 *  between the two samples. */
export interface ProcSample { atMs: number, cpuTicks: number, rssMiB: number, peakRssMiB: number }

export function sampleProc (pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[11], fields[12]: utime and stime (the 14th and 15th fields of the full line)
    const cpuTicks = Number(fields[11]) + Number(fields[12])
    const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1])
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    const rssMiB = Math.round(rssPages * 4096 / 1024 / 1024 * 10) / 10
    return { atMs: performance.now(), cpuTicks, rssMiB, peakRssMiB: hwm === null ? rssMiB : Math.round(Number(hwm[1]) / 1024 * 10) / 10 }
  } catch {
    return null
  }
}

/** Percent of one core used between two samples. */
export function cpuPercent (a: ProcSample, b: ProcSample): number {
  const seconds = (b.atMs - a.atMs) / 1000
  return seconds > 0 ? Math.round((b.cpuTicks - a.cpuTicks) / TICKS_PER_SECOND / seconds * 1000) / 10 : 0
}
