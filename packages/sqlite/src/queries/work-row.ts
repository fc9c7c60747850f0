/**
 * How rows leave SQLite: each `work` or `runs` row packed by SQLite into one JSON array (`as j`)
 * in core's packed order, unpacked by core's `unpackWork` / `unpackRun`. One text value per row is
 * several times cheaper to carry out of SQLite than a 31-column object (each column crosses the
 * native boundary on its own).
 */
import { PACKED_RUN_COLUMNS, PACKED_WORK_COLUMNS } from '@offstage/core';

export { unpackRun, unpackWork, type PackedRow } from '@offstage/core';

/** Columns SQLite keeps as JSON text, embedded as JSON values (`json(null)` is null). */
const JSON_TEXT_COLUMNS: Readonly<Record<string, string>> = {
  tags: 'json(tags_json)',
  schedule: 'json(schedule_json)',
  prerequisites: 'json(prerequisites_json)',
  constraints: 'json(constraints_json)',
};

/**
 * Packs a `work` row: seq first (the insertion order), then every WorkSpec column; tags,
 * prerequisites, the schedule and the constraints are embedded as JSON values, not strings
 * (`json(null)` is null).
 *
 * @example
 * db.get<PackedRow>(`select ${WORK_JSON} from work where id = ?`, [id])
 */
export const WORK_JSON = `json_array(${PACKED_WORK_COLUMNS.map((c) => JSON_TEXT_COLUMNS[c] ?? c).join(', ')}) as j`;

/**
 * Packs a `runs` row.
 *
 * @example
 * db.all<PackedRow>(`select ${RUN_JSON} from runs where work_id = ?`, [id])
 */
export const RUN_JSON = `json_array(${PACKED_RUN_COLUMNS.join(', ')}) as j`;

