// Errors that carry their CLI.md exit-code name, so any layer can fail with the right code without knowing
// the CLI. The CLI prints `message` as one line (no stack) and exits with the mapped code.
export type ErrorKind = 'failure' | 'usage' | 'config' | 'unreachable' | 'commitTimeout' | 'unauthorized'

export class NovacronError extends Error {
  readonly kind: ErrorKind
  constructor (kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.kind = kind
    this.name = 'NovacronError'
  }
}

export const usageError = (message: string): NovacronError => new NovacronError('usage', message)
export const configError = (message: string): NovacronError => new NovacronError('config', message)
export const failure = (message: string, cause?: unknown): NovacronError => new NovacronError('failure', message, { cause })

/** A short, single-line description of anything thrown. */
export function describeError (err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]
  return String(err)
}
