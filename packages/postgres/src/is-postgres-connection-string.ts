/**
 * isPostgresConnectionString: tells a PostgreSQL URL from a file path, for front ends (the CLI's
 * `--db`) that accept either. Pure; it must never connect or throw.
 */

/**
 * True for `postgres://…` and `postgresql://…` (any case), false for anything else.
 *
 * @example
 * isPostgresConnectionString('postgres://localhost/jobs') // true
 * isPostgresConnectionString('./offstage.db')             // false
 */
export function isPostgresConnectionString(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
