// What a running node does with a promise rejection nobody handled: log it and keep serving. One stray
// rejection (a library's background task, a handler's forgotten await) must not take a validator down.
// A thrown exception still ends the process: its state may be half-updated.
import type { Logger } from '../log/index.ts'

let installed: ((reason: unknown) => void) | null = null

/** Installs the handler once per process; later calls only swap the logger. */
export function installProcessGuards (logger: Pick<Logger, 'error'>): void {
  if (installed != null) process.off('unhandledRejection', installed)
  installed = (reason: unknown) => {
    logger.error({ err: reason instanceof Error ? reason.stack ?? reason.message : String(reason) }, 'unhandled promise rejection (logged; the node keeps running)')
  }
  process.on('unhandledRejection', installed)
}
