/**
 * Turns a driver's SQLite error into offstage's typed store errors, each one sentence naming the
 * database: unreadable file → StoreCorruptError, cannot open or write → StoreOpenError. Anything
 * else (a bug, a constraint the caller broke) passes through unchanged. It must never swallow an
 * error or invent a code the driver did not report.
 */
import { StoreCorruptError, StoreOpenError } from '@offstage/core';

/**
 * The SQLite result code name a driver put on an error (`'SQLITE_BUSY'`, `'SQLITE_CORRUPT_INDEX'`...),
 * or undefined when the error did not come from SQLite.
 *
 * @example
 * sqliteCode(new SqliteError('file is not a database', 'SQLITE_NOTADB')) // 'SQLITE_NOTADB'
 */
export function sqliteCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * How a database is named in messages: `work store "jobs.db"` or `in-memory work store`.
 *
 * @example
 * describeDatabase(':memory:') // 'The in-memory work store'
 */
export function describeDatabase(path: string | undefined): string {
  if (path === undefined) return 'The SQLite work store';
  if (path === ':memory:' || path === '') return 'The in-memory work store';
  return `The work store "${path}"`;
}

/**
 * The typed error for `error`, or `error` itself when it is not one of the failures offstage names.
 *
 * @param path the database file, for the message (undefined when the caller did not say).
 * @example
 * try { db.exec('select 1') } catch (e) { throw toStoreError(e, 'jobs.db') }
 */
export function toStoreError(error: unknown, path: string | undefined): unknown {
  const code = sqliteCode(error);
  if (code === undefined) return error;
  const what = describeDatabase(path);
  const detail = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreCorruptError(
      `${what} is not a SQLite database offstage can read (${code}: ${detail}); the file was left unchanged, so point offstage at a new file or restore this one from a backup.`,
      options,
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new StoreOpenError(
      `${what} could not be opened (${code}: ${detail}); check that the path names a file (not a directory) in an existing directory this process may write to.`,
      options,
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new StoreOpenError(
      `${what} is read-only (${code}: ${detail}); give this process write access to the file and its directory, or choose another path.`,
      options,
    );
  }
  if (code === 'SQLITE_FULL') {
    return new StoreOpenError(`${what} could not be written because the disk is full (${code}); free some space and try again.`, options);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new StoreOpenError(`${what} could not be read or written (${code}: ${detail}); check the disk, the file's permissions and free space.`, options);
  }
  return error;
}
