/**
 * Result checks every case runs before its figures count: each job seen exactly once, and the
 * database agreeing. A failed check throws {@link VerificationError}, which stops the whole run:
 * a fast figure from a queue that lost or doubled work is worse than no figure.
 */

/** A benchmark side did not do exactly the work it was given. */
export class VerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerificationError';
  }
}

/**
 * Throws {@link VerificationError} with `message` unless `condition` holds.
 *
 * @example
 * check(rows === n, `expected ${n} rows, found ${rows}`)
 */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new VerificationError(message);
}

/**
 * Counts how often each job id was seen (handler invocations, events) to prove exactly-once.
 *
 * @example
 * const calls = new OnceTally('handler calls')
 * calls.add(id) // in the handler
 * calls.assertExactlyOnce(enqueuedIds)
 */
export class OnceTally<Id extends string | number = string | number> {
  /** Total sightings, duplicates included. */
  total = 0;
  private readonly counts = new Map<Id, number>();

  constructor(readonly label: string) {}

  /** Records one sighting of `id`. */
  add(id: Id): void {
    this.total++;
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  /** Distinct ids seen. */
  get distinct(): number {
    return this.counts.size;
  }

  /**
   * Throws unless exactly the `expected` ids were seen, each once (or, given a number, that many
   * distinct ids each once). Returns a short description of what was checked.
   */
  assertExactlyOnce(expected: Iterable<Id> | number): string {
    const duplicates = [...this.counts].filter(([, c]) => c > 1);
    check(duplicates.length === 0, `${this.label}: ${duplicates.length} ids seen more than once (first: ${String(duplicates[0]?.[0])} ×${duplicates[0]?.[1]})`);
    if (typeof expected === 'number') {
      check(this.total === expected, `${this.label}: expected ${expected}, saw ${this.total}`);
      return `${expected} ${this.label}`;
    }
    let n = 0;
    for (const id of expected) {
      n++;
      check(this.counts.has(id), `${this.label}: job ${String(id)} was never seen`);
    }
    check(this.total === n, `${this.label}: expected ${n}, saw ${this.total} (${this.distinct} distinct)`);
    return `${n} ${this.label}`;
  }
}
