/**
 * Input merging for chains: a dependent's input is its own input merged with its prerequisites'
 * outputs, in prerequisite order. Pure. Only plain objects merge key by key; a dependent with no
 * object outputs to merge gets its own input unchanged.
 */
import type { InputMerger } from '../model/work.js';

/**
 * Merges outputs into an input. `overwrite`: later values win (WorkManager's
 * OverwritingInputMerger). `array`: every key collects all its values, arrays concatenated
 * (ArrayCreatingInputMerger).
 *
 * @example
 * mergeInputs({ size: 'm' }, [{ path: '/a.jpg' }], 'overwrite') // { size: 'm', path: '/a.jpg' }
 * mergeInputs(undefined, [{ url: 'a' }, { url: 'b' }], 'array')  // { url: ['a', 'b'] }
 */
export function mergeInputs(input: unknown, outputs: readonly unknown[], merger: InputMerger): unknown {
  const sources = [input, ...outputs].filter(isPlainObject);
  if (sources.length === 0 || (outputs.every((o) => !isPlainObject(o)) && !(merger === 'array' && isPlainObject(input)))) return input;
  if (merger === 'overwrite') return Object.assign({}, ...sources) as Record<string, unknown>;
  const merged: Record<string, unknown[]> = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      const into = (merged[key] ??= []);
      if (Array.isArray(value)) into.push(...(value as unknown[]));
      else into.push(value);
    }
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
