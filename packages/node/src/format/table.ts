/**
 * Plain-text tables for the CLI's human output: columns padded to their widest cell, numbers
 * right-aligned. It must never emit colour codes or wrap lines; scripts use `--json` instead.
 */

/**
 * One column of a {@link formatTable}.
 *
 * @example
 * const column: TableColumn<WorkInfo> = { header: 'ATTEMPTS', value: (w) => w.attempt, align: 'right' }
 */
export interface TableColumn<Row> {
  /** Header text. */
  header: string;
  /** The cell text for a row. */
  value: (row: Row) => string | number | null | undefined;
  /** Right-align (numbers). Default: left. */
  align?: 'left' | 'right';
}

/**
 * Renders rows as an aligned table with a header line; returns the lines joined by newlines.
 *
 * @example
 * formatTable([{ name: 'sync', n: 3 }], [
 *   { header: 'TASK', value: (r) => r.name },
 *   { header: 'COUNT', value: (r) => r.n, align: 'right' },
 * ])
 * // TASK  COUNT
 * // sync      3
 */
export function formatTable<Row>(rows: readonly Row[], columns: ReadonlyArray<TableColumn<Row>>): string {
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

function cellText(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/\s+/g, ' ');
}
