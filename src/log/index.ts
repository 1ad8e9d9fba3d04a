// Logs go to stderr only (stdout is for command output): JSON for machines, readable lines on a TTY.
import { pino, type Logger } from 'pino'
import pretty from 'pino-pretty'
import type { LogLevel } from '../config/settings.ts'

export type { Logger }

export interface LoggerOptions {
  level: LogLevel
  /** Readable output; defaults to whether stderr is a terminal. */
  pretty?: boolean
  name?: string
}

export function createLogger ({ level, pretty: readable = process.stderr.isTTY === true, name = 'novacron' }: LoggerOptions): Logger {
  if (!readable) return pino({ level, name, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }))
  const colorize = process.env.NO_COLOR == null && process.env.CI == null
  return pino({ level, name }, pretty({ destination: 2, sync: true, colorize, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }))
}

export const silentLogger: Logger = pino({ level: 'silent' })
