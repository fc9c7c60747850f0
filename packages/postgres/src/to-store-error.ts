/**
 * Turns the ways opening a PostgreSQL store fails (no server, wrong host, timeout, bad password,
 * missing database, no privilege) into StoreOpenError, one sentence naming the server and the fix.
 * It must never put a password in a message, and never swallow an error it does not recognise: those
 * are wrapped with the original as `cause`.
 */
import { StoreOpenError } from '@offstage/core';

/**
 * How a server is named in messages: the connection string without its password
 * (`postgres://app@db.internal:5432/jobs`), or `the given pool`.
 *
 * @example
 * describeServer('postgres://app:secret@localhost/jobs') // 'postgres://app@localhost/jobs'
 */
export function describeServer(connectionString: string | undefined): string {
  if (connectionString === undefined) return 'the given pool';
  try {
    const url = new URL(connectionString);
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return 'the given connection string';
  }
}

/**
 * Validates a connection string's form (a `postgres://` or `postgresql://` URL) before any
 * connection is tried; throws StoreOpenError saying what shape is expected.
 *
 * @example
 * checkConnectionString('postgres://localhost/jobs')
 */
export function checkConnectionString(connectionString: string): void {
  let url: URL | undefined;
  try {
    url = new URL(connectionString);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw new StoreOpenError(
      `The connection string ${JSON.stringify(redact(connectionString))} is not a PostgreSQL URL; write it as postgres://user:password@host:5432/database.`,
    );
  }
}

/** A string with anything between `://user:` and `@` hidden, for strings URL cannot parse. */
function redact(text: string): string {
  return text.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@').slice(0, 200);
}

/**
 * The StoreOpenError for a failure to open (connect, authenticate, migrate), or `error` itself
 * when it already is one.
 *
 * @param server from {@link describeServer}.
 * @param connectTimeoutMs the connection timeout in force, for the timeout message.
 * @example
 * try { await migrate() } catch (e) { throw toOpenError(e, describeServer(url), 5000) }
 */
export function toOpenError(error: unknown, server: string, connectTimeoutMs: number | undefined): unknown {
  if (error instanceof StoreOpenError) return error;
  const { code } = (error ?? {}) as { code?: unknown };
  const detail = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  const at = `PostgreSQL at ${server}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new StoreOpenError(`Could not connect to ${at}: the connection was refused (ECONNREFUSED); check that the server is running and the host and port are right.`, options);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StoreOpenError(`Could not connect to ${at}: the host name does not resolve (${code}); check the host in the connection string.`, options);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new StoreOpenError(`Could not connect to ${at}: the host cannot be reached (${code}); check the host, the network and any firewall.`, options);
    case '28P01':
    case '28000':
      return new StoreOpenError(`Could not log in to ${at} (${code}: ${detail}); check the user name and password.`, options);
    case '3D000':
      return new StoreOpenError(`Could not open ${at}: ${detail} (3D000); create the database or fix its name in the connection string.`, options);
    case '42501':
      return new StoreOpenError(
        `Could not set up the offstage schema on ${at}: permission denied (42501: ${detail}); grant this user CREATE on the database, or run the migrations once as a user who has it.`,
        options,
      );
    default:
      break;
  }
  if (/timeout/i.test(detail)) {
    const limit = connectTimeoutMs === undefined ? '' : ` within ${connectTimeoutMs} ms`;
    return new StoreOpenError(`Could not connect to ${at}: no answer${limit} (${detail}); check the host, port and firewall, or raise connectTimeoutMs.`, options);
  }
  return new StoreOpenError(`Could not open the work store on ${at} (${typeof code === 'string' ? `${code}: ` : ''}${detail}); check the server and the connection string.`, options);
}
