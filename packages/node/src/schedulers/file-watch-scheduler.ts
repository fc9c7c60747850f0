/**
 * FileWatchScheduler: wakes an engine when another process writes to its SQLite database file.
 * SQLite has no notifications, so this watches the file (and its `-wal` companion) with `fs.watch`
 * and calls `wake()`, debounced. It must never poll, never read the database, and never keep a
 * watch open after `stop()`.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Options for {@link FileWatchScheduler}.
 *
 * @example
 * const options: FileWatchSchedulerOptions = { path: './offstage.db', onChange: () => engine.wake(), debounceMs: 25 }
 */
export interface FileWatchSchedulerOptions {
  /** Path of the SQLite database file to watch. */
  path: string;
  /** Called (debounced) after the file or its `-wal` file changes; typically `() => engine.wake()`. */
  onChange: () => void;
  /** Coalesce a burst of changes into one call at most this often. Default 25 ms. */
  debounceMs?: number;
  /** Keep the process alive while watching (a worker wants this). Default true. */
  persistent?: boolean;
  /** Called when the watch fails (the directory was removed, too many watches...). Default: ignored. */
  onError?: (error: unknown) => void;
}

/**
 * Watches a database file's directory and calls `onChange` when the file or its `-wal` changes.
 *
 * The directory is watched rather than the file so that a file replaced or created after the
 * watch starts (a fresh database, a checkpoint that rewrites it) is still seen. The engine's own
 * writes also trigger a wake; that costs one cheap pass and is bounded by the debounce, and it
 * stops as soon as the worker is idle, because an idle worker writes nothing.
 *
 * @example
 * const scheduler = new FileWatchScheduler({ path: './offstage.db', onChange: () => engine.wake() })
 * scheduler.start()
 * // ... later
 * scheduler.stop()
 */
export class FileWatchScheduler {
  private readonly directory: string;
  private readonly names: ReadonlySet<string>;
  private readonly debounceMs: number;
  private watcher: FSWatcher | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: FileWatchSchedulerOptions) {
    const path = resolve(options.path);
    this.directory = dirname(path);
    const name = basename(path);
    this.names = new Set([name, `${name}-wal`]);
    this.debounceMs = Math.max(0, options.debounceMs ?? 25);
  }

  /** Whether the watch is open. */
  get isWatching(): boolean {
    return this.watcher !== null;
  }

  /** Opens the watch. Idempotent. Throws if the directory cannot be watched. */
  start(): void {
    if (this.watcher) return;
    const watcher = watch(this.directory, { persistent: this.options.persistent ?? true }, (_event, filename) => {
      // Some platforms do not report the name; then any change in the directory counts.
      if (filename === null || this.names.has(filename.toString())) this.schedule();
    });
    watcher.on('error', (error) => {
      this.stop();
      this.options.onError?.(error);
    });
    this.watcher = watcher;
  }

  /** Closes the watch and drops a pending call. Idempotent. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }

  /** Leading edge arms one timer; changes while it is armed ride along, so a steady stream cannot starve the call. */
  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.watcher) this.options.onChange();
    }, this.debounceMs);
  }
}
