/** True for a unique-constraint violation on SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** No space left to write: SQLite's SQLITE_FULL, the file system's ENOSPC or EFBIG, PostgreSQL's 53100 disk_full. */
const STORAGE_FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EFBIG', '53100']);

/** True when a write failed because the disk (or a file-size limit) is full, looking through causes. */
export function isStorageFull(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const { code, cause } = e as { code?: string; cause?: unknown };
    if (code && STORAGE_FULL.has(code)) return true;
    e = cause;
  }
  return false;
}
