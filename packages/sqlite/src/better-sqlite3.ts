/**
 * `@offstage/sqlite/better-sqlite3`: the Node entry that loads better-sqlite3 itself and opens a
 * SqliteStore on a file in one call, turning every way opening can fail into StoreOpenError or
 * StoreCorruptError with one sentence naming the path. It must never create, truncate or rewrite a
 * file it cannot prove is an (empty or) offstage database.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { StoreCorruptError, StoreOpenError } from '@offstage/core';
import { BetterSqlite3Driver, type BetterSqlite3Database } from './drivers/better-sqlite3-driver.js';
import { SqliteStore } from './sqlite-store.js';
import { describeDatabase, sqliteCode, toStoreError } from './to-store-error.js';

/** Options for {@link openSqliteStore}. */
export interface OpenSqliteStoreOptions {
  /** `NORMAL` (default) or `FULL` (fsync on every commit: survives power loss, slower). */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Largest write-ahead log, in pages, before a commit checkpoints it. Default 4000 (see DatabaseSettings). */
  checkpointPages?: number;
  /** Checkpoint the log after this many ms without store calls; null never. Default 250 (see DatabaseSettings). */
  idleCheckpointMs?: number | null;
}

/** The better-sqlite3 constructor, as this entry calls it. */
type BetterSqlite3Constructor = new (filename: string) => BetterSqlite3Database;

/**
 * Opens (creating it if missing) the SQLite work store at `path`; `':memory:'` gives a private
 * in-memory store. Throws StoreOpenError when the file cannot be opened or written (missing
 * directory, a directory, read-only, newer schema) and StoreCorruptError when it is not an offstage
 * database; the file is never changed in either case.
 *
 * @example
 * import { openSqliteStore } from '@offstage/sqlite/better-sqlite3';
 * const store = openSqliteStore('./offstage.db', { synchronous: 'FULL' });
 */
export function openSqliteStore(path: string, options: OpenSqliteStoreOptions = {}): SqliteStore {
  const Database = loadBetterSqlite3();
  refuseCutShort(path);
  let db: BetterSqlite3Database;
  try {
    // Settings (busy timeout included) are validated and applied by SqliteStore, as pragmas.
    db = new Database(path);
  } catch (error) {
    throw explainOpenFailure(error, path);
  }
  try {
    return new SqliteStore(new BetterSqlite3Driver(db), { ...options, path });
  } catch (error) {
    db.close();
    throw error instanceof StoreOpenError ? refine(error, path) : error;
  }
}

/**
 * Refuses a database file that was cut short, before SQLite touches it: SQLite opens such a file,
 * treats the missing tail as empty pages and rewrites it on the first write, so a truncated store
 * would be silently damaged further. The header (bytes 16-17: page size; 28-31: page count, valid
 * when bytes 92-95 equal the change counter at 24-27) says how long the file must be.
 */
function refuseCutShort(path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return; // Missing or unreadable: new Database() reports that with its own, precise error.
  }
  try {
    const stat = fstatSync(fd);
    const size = stat.size;
    const header = Buffer.alloc(100);
    if (!stat.isFile() || size < 100 || readSync(fd, header, 0, 100, 0) < 100) return;
    if (header.toString('latin1', 0, 16) !== 'SQLite format 3\u0000') return;
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65_536 : raw;
    const pages = header.readUInt32BE(28);
    const counted = header.readUInt32BE(92) === header.readUInt32BE(24);
    if (pageSize >= 512 && (size % pageSize !== 0 || (counted && pages > 0 && size < pages * pageSize))) {
      throw new StoreCorruptError(
        `${describeDatabase(path)} is cut short (${size} bytes, but its header describes ${counted ? pages * pageSize : 'whole'} pages of ${pageSize} bytes); restore it from a backup, the file was left as it is.`,
      );
    }
  } finally {
    closeSync(fd);
  }
}

function loadBetterSqlite3(): BetterSqlite3Constructor {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as BetterSqlite3Constructor;
  } catch (error) {
    throw new StoreOpenError(
      'The SQLite work store needs the better-sqlite3 package, which could not be loaded; install it with `npm install better-sqlite3` (and rebuild it if Node.js was upgraded).',
      { cause: error },
    );
  }
}

/** The typed error for a failure of `new Database(path)`, naming what is wrong with the path. */
function explainOpenFailure(error: unknown, path: string): unknown {
  return refine(sqliteCode(error) === undefined ? undefined : toStoreError(error, path), path, error);
}

/**
 * Replaces a generic "could not be opened" with the reason the file system gives, when there is one:
 * a missing directory, a parent that is a file, or a path that is a directory.
 */
function refine(typed: unknown, path: string, cause: unknown = typed): unknown {
  const what = describeDatabase(path);
  if (path !== ':memory:' && path !== '') {
    const full = resolve(path);
    const dir = dirname(full);
    const dirKind = kindOf(dir);
    if (dirKind === 'missing') {
      return new StoreOpenError(`${what} could not be opened because its directory "${dir}" does not exist; create the directory first or choose another path.`, { cause });
    }
    if (dirKind !== 'directory') {
      return new StoreOpenError(`${what} could not be opened because "${dir}" is not a directory; choose a path inside a directory.`, { cause });
    }
    if (kindOf(full) === 'directory') {
      return new StoreOpenError(`${what} is a directory, not a file; pass a file path such as "${resolve(full, 'offstage.db')}".`, { cause });
    }
  }
  if (typed instanceof Error) return typed;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreOpenError(`${what} could not be opened (${detail}); check the path and this process's permissions.`, { cause });
}

function kindOf(path: string): 'missing' | 'directory' | 'other' | 'file' {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) return 'directory';
    return stat.isFile() ? 'file' : 'other';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // ENOTDIR: some ancestor is a file, so as far as opening goes the directory is not there.
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'other';
  }
}
