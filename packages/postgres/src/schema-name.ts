/**
 * The schema a store lives in: validated once, then spliced into SQL text (identifiers cannot be
 * bound parameters). It must never let a name through that could close the quotes or exceed
 * PostgreSQL's 63-byte identifiers, including the `<schema>_work` notification channel.
 */
import { InvalidOptionError } from '@offstage/core';

/**
 * The schema used when none is given.
 *
 * @example
 * createPostgresStore({ connectionString }).schema === DEFAULT_SCHEMA // true
 */
export const DEFAULT_SCHEMA = 'offstage';

/** Lower-case letters, digits and underscores, not starting with a digit: never needs escaping. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Leaves room for the `_work` channel suffix within PostgreSQL's 63-byte identifier limit. */
const MAX_LENGTH = 58;

/**
 * A validated schema name and the names derived from it.
 *
 * @example
 * const names: SchemaNames = schemaNames('jobs');
 */
export interface SchemaNames {
  /** The schema name as given. */
  name: string;
  /** The schema name quoted for SQL text: `"offstage"`. */
  quoted: string;
  /** The LISTEN/NOTIFY channel: `offstage_work`. */
  channel: string;
}

/**
 * Validates a schema name; throws InvalidOptionError naming the value and the rule.
 *
 * @example
 * schemaNames('jobs') // { name: 'jobs', quoted: '"jobs"', channel: 'jobs_work' }
 */
export function schemaNames(name: string = DEFAULT_SCHEMA): SchemaNames {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.length > MAX_LENGTH) {
    throw new InvalidOptionError(
      `The schema name ${JSON.stringify(name)} is invalid; use lower-case letters, digits and underscores (not starting with a digit), at most ${MAX_LENGTH} characters.`,
    );
  }
  return { name, quoted: `"${name}"`, channel: `${name}_work` };
}
