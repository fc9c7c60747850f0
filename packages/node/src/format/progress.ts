/**
 * Reads a handler's progress value as a bar position when it has one. Handlers report any JSON
 * value; `watch` and the demo draw a bar for the shapes below and print anything else as text.
 * Pure apart from the one piece of state noted on {@link ProgressReader}.
 */
import { shortJson } from './describe-work.js';

/**
 * What a progress value says: how far along (0–1) if it is a known shape, and a short text.
 *
 * @example
 * const reading: ProgressReading = { fraction: 0.4, text: '4/10 pulled page 4' }
 */
export interface ProgressReading {
  /** Position of the bar, 0–1; null when the value is not a known shape. */
  fraction: number | null;
  /** What to print next to the bar, or instead of it: a step or message, `done/total`, or the JSON value. */
  text: string;
}

/**
 * Maps progress values to a bar. Known shapes:
 *
 * - a number 0–100, a percentage;
 * - a number 0–1, a fraction; once an item has reported a number above 1 its numbers are read as
 *   percentages for good (so `1` after `0.5` is done, but `1` after `40` is 1%);
 * - `{ done, total }` or `{ current, total }`, with `total` above 0;
 * - `{ percent }` (0–100), as the demo's tasks report.
 *
 * A `step`, `message` or `status` string in an object becomes the text. Anything else (a string,
 * another object, a number out of range) has no position and prints as text. One reader per item.
 *
 * @example
 * const reader = new ProgressReader()
 * reader.read(0.25)                 // { fraction: 0.25, text: '' }
 * reader.read({ done: 3, total: 4 }) // { fraction: 0.75, text: '3/4' }
 * reader.read('uploading')           // { fraction: null, text: 'uploading' }
 */
export class ProgressReader {
  private percentages = false;

  /** Reads one value (see the class for the shapes). */
  read(value: unknown): ProgressReading {
    if (typeof value === 'number') {
      if (!Number.isFinite(value) || value < 0 || value > 100) return { fraction: null, text: String(value) };
      if (value > 1) this.percentages = true;
      return { fraction: this.percentages ? value / 100 : value, text: '' };
    }
    if (typeof value === 'string') return { fraction: null, text: value };
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const v = value as Record<string, unknown>;
      const label = ['step', 'message', 'status'].map((k) => v[k]).find((s): s is string => typeof s === 'string') ?? '';
      const done = typeof v.done === 'number' ? v.done : v.current;
      if (typeof done === 'number' && typeof v.total === 'number' && v.total > 0 && done >= 0 && Number.isFinite(done) && Number.isFinite(v.total)) {
        return { fraction: Math.min(1, done / v.total), text: [`${done}/${v.total}`, label].filter(Boolean).join(' ') };
      }
      if (typeof v.percent === 'number' && v.percent >= 0 && v.percent <= 100) return { fraction: v.percent / 100, text: label };
    }
    return { fraction: null, text: shortJson(value) };
  }
}
