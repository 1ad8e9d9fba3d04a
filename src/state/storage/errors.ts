// Typed storage failures. The node layer branches on these: a full disk or I/O error stops this node
// from voting (it keeps serving reads); a newer schema refuses to start.

export class StorageError extends Error {
  override name = 'StorageError'
  readonly code: string
  constructor (message: string, code: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** The write that hit a full disk (SQLITE_FULL) or an I/O error; it was rolled back, nothing changed. */
export class StorageFullError extends StorageError {
  override name = 'StorageFullError'
  constructor (message: string, options?: ErrorOptions) {
    super(message, 'ERR_STORAGE_FULL', options)
  }
}

/** Any write after a StorageFullError: storage stays read-only until the node restarts with space. */
export class StorageReadOnlyError extends StorageError {
  override name = 'StorageReadOnlyError'
  constructor (message: string, options?: ErrorOptions) {
    super(message, 'ERR_STORAGE_READ_ONLY', options)
  }
}

/** The database was written by a newer release (higher schema major version). */
export class SchemaVersionError extends StorageError {
  override name = 'SchemaVersionError'
  constructor (message: string) {
    super(message, 'ERR_STORAGE_SCHEMA')
  }
}
