/**
 * The typed errors offstage throws, and the two a handler may throw to steer its retry.
 * Every message is one sentence: what happened, the value seen, and how to fix it.
 */

import { describeValue } from './model/describe-value.js';

/** Machine-readable error codes, stable across releases. */
export type OffstageErrorCode =
  | 'INVALID_DURATION'
  | 'INVALID_OPTION'
  | 'INVALID_INPUT'
  | 'INPUT_TOO_LARGE'
  | 'UNKNOWN_TASK'
  | 'WORK_NOT_FOUND'
  | 'DUPLICATE_WORK'
  | 'INVALID_STATE'
  | 'INVALID_SCHEDULE'
  | 'INVALID_CHAIN'
  | 'STORE_OPEN_FAILED'
  | 'STORE_CORRUPT'
  | 'STORE_CLOSED'
  | 'ENGINE_STOPPED';

/**
 * Base class of every error offstage throws on purpose; `code` tells them apart.
 *
 * @example
 * try { await offstage.enqueue('nope') } catch (e) { if (e instanceof OffstageError) console.log(e.code) }
 */
export class OffstageError extends Error {
  /** A stable, machine-readable code. */
  readonly code: OffstageErrorCode;
  constructor(code: OffstageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A duration was negative, not finite, or not written as a number or `'<n><unit>'`. */
export class InvalidDurationError extends OffstageError {
  constructor(message: string) {
    super('INVALID_DURATION', message);
  }
}

/** An option had a value outside its allowed range or set (for example `maxAttempts: 0`). */
export class InvalidOptionError extends OffstageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_OPTION', message, options);
  }
}

/** Work input could not be stored as JSON (functions, cycles, BigInt, symbols...). */
export class InvalidInputError extends OffstageError {
  constructor(message: string) {
    super('INVALID_INPUT', message);
  }
}

/** Work input serialised to more bytes than the configured limit. */
export class InputTooLargeError extends OffstageError {
  constructor(message: string) {
    super('INPUT_TOO_LARGE', message);
  }
}

/** Work was enqueued for a task name that no handler is registered for. */
export class UnknownTaskError extends OffstageError {
  constructor(message: string) {
    super('UNKNOWN_TASK', message);
  }
}

/** No work item has the given id. */
export class WorkNotFoundError extends OffstageError {
  constructor(id: string) {
    // Quoted as JSON (line breaks and control characters escaped): the id is whatever the caller passed.
    super('WORK_NOT_FOUND', `No work item has the id ${describeValue(id)}; check the id with \`offstage list\`.`);
  }
}

/**
 * Work was enqueued with an id that is already stored (or twice in one batch); nothing in the
 * batch was stored. Every store throws this, so callers can tell it from other failures.
 *
 * @example
 * try { await engine.enqueue('t', { id: 'nightly' }) } catch (e) { if (e instanceof DuplicateWorkError) reuse(e.id) }
 */
export class DuplicateWorkError extends OffstageError {
  /** The id that clashed. */
  readonly id: string;
  constructor(id: string, where: 'stored' | 'batch', options?: { cause?: unknown }) {
    super(
      'DUPLICATE_WORK',
      `Cannot enqueue work "${id}" because ${where === 'stored' ? 'an item with that id already exists' : 'the batch contains it twice'}, so nothing in the batch was enqueued; give each item its own id.`,
      options,
    );
    this.id = id;
  }
}

/** An operation does not apply to a work item in its current state (for example retrying running work). */
export class InvalidStateError extends OffstageError {
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}

/** A periodic schedule is invalid: a cron expression that does not parse, an unknown time zone, an interval of zero, a flex wider than the interval. */
export class InvalidScheduleError extends OffstageError {
  constructor(message: string) {
    super('INVALID_SCHEDULE', message);
  }
}

/** A chain is invalid: a cycle, or a prerequisite that is unknown, cancelled, failed or periodic. */
export class InvalidChainError extends OffstageError {
  constructor(message: string) {
    super('INVALID_CHAIN', message);
  }
}

/** The store could not be opened or written (missing directory, read-only file, no permission). */
export class StoreOpenError extends OffstageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_OPEN_FAILED', message, options);
  }
}

/** The file is not a database this store can read; it is left untouched. */
export class StoreCorruptError extends OffstageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_CORRUPT', message, options);
  }
}

/** The store was used after `close()`. */
export class StoreClosedError extends OffstageError {
  constructor() {
    super('STORE_CLOSED', 'The work store is closed; create a new one to keep working.');
  }
}

/**
 * Thrown by a handler to fail its work at once, with no further attempts.
 *
 * @example
 * if (res.status === 404) throw new NonRetryableError('The photo was deleted upstream')
 */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/**
 * Thrown by a handler to retry after a delay of its choosing instead of the backoff policy's.
 * The attempt still counts toward `maxAttempts`.
 *
 * @example
 * throw new RetryLaterError('Rate limited', res.headers.get('retry-after') + 's')
 */
export class RetryLaterError extends Error {
  /** The delay before the next attempt, as given (a duration string or milliseconds). */
  readonly delay: string | number;
  constructor(message: string, delay: string | number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryLaterError';
    this.delay = delay;
  }
}
