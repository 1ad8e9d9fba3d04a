// Decoders take bytes from strangers, so failures are values the caller must look at, not exceptions that
// could escape a stream handler and take the node down.
export type Result<T> = { ok: true, value: T } | { ok: false, error: string }

export function ok<T> (value: T): Result<T> {
  return { ok: true, value }
}

export function fail (error: string): { ok: false, error: string } {
  return { ok: false, error }
}

export function errorMessage (e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
