/**
 * The demo's photo chains as they run and after: which step just finished and what it unblocked
 * (for the live view), and per chain the steps, the order they ran in and the merged input the
 * last step received (for the summary). It only reads; it must never change work.
 */
import { formatDuration, mergeInputs, type WorkEngine, type WorkInfo, type WorkState } from '@offstage/core';

/**
 * A chain the demo enqueued: its name and its items, in the order `enqueue()` stored them
 * (prerequisites first).
 *
 * @example
 * const { work } = await engine.beginWith(first).then(parallel).then(last).enqueue()
 * const chain: TrackedChain = { name: 'IMG_0100.jpg', steps: work }
 */
export interface TrackedChain {
  name: string;
  steps: WorkInfo[];
}

/**
 * One chain in the demo's summary.
 *
 * @example
 * report.chains[0]!.ranInOrder // ['download', 'resize', 'thumbnail', 'upload-image']
 */
export interface DemoChainSummary {
  name: string;
  /** Each step and its state now, in chain order. */
  steps: Array<{ id: string; taskName: string; state: WorkState | 'unknown' }>;
  /** Task names in the order their first attempt started (parallel steps in either order). */
  ranInOrder: string[];
  /** What the last step received: its own input merged with its prerequisites' outputs; null until they all succeeded. */
  lastStepInput: unknown;
  /** From the first step's start to the last step's end, when the chain finished; else null. */
  durationMs: number | null;
}

/**
 * Follows the chains' progress from engine events and says what each finished step unblocked.
 *
 * @example
 * const progress = new ChainProgress(chains)
 * engine.on('work:succeeded', ({ id }) => { const line = progress.succeeded(id); if (line) view.log(line) })
 */
export class ChainProgress {
  private readonly byId = new Map<string, { chain: TrackedChain; step: WorkInfo }>();
  private readonly done = new Set<string>();
  private readonly startedAt = new Map<TrackedChain, number>();

  constructor(chains: readonly TrackedChain[]) {
    for (const chain of chains) for (const step of chain.steps) this.byId.set(step.id, { chain, step });
  }

  /** A short label for a chain step's progress bar (`resize IMG_0100`), or undefined for other work. */
  label(id: string): string | undefined {
    const found = this.byId.get(id);
    return found ? `${found.step.taskName} ${found.chain.name.replace(/\.\w+$/, '')}` : undefined;
  }

  /** Notes that a step started (the chain's clock starts with its first step). */
  started(id: string): void {
    const found = this.byId.get(id);
    if (found && !this.startedAt.has(found.chain)) this.startedAt.set(found.chain, Date.now());
  }

  /** The line to show when a step succeeded: what it unblocked, or that the chain finished. Null for other work. */
  succeeded(id: string): string | null {
    const found = this.byId.get(id);
    if (!found) return null;
    this.done.add(id);
    const { chain, step } = found;
    const head = `chain ${chain.name}: ${step.taskName} done`;
    const next = chain.steps.filter((s) => s.prerequisites.includes(id));
    if (next.length === 0) {
      const since = this.startedAt.get(chain);
      return `${head}; chain finished${since === undefined ? '' : ` in ${formatDuration(Date.now() - since)}`}`;
    }
    const ready = next.filter((s) => s.prerequisites.every((p) => this.done.has(p)));
    const waiting = next.filter((s) => !ready.includes(s));
    const parts: string[] = [];
    if (ready.length) parts.push(`→ ${ready.map((s) => s.taskName).join(' ∥ ')} can start, with ${step.taskName}'s output merged into ${ready.length === 1 ? 'its' : 'their'} input`);
    for (const s of waiting) {
      const missing = s.prerequisites.filter((p) => !this.done.has(p)).map((p) => this.byId.get(p)?.step.taskName ?? p);
      parts.push(`; ${s.taskName} still waits for ${missing.join(', ')}`);
    }
    return `${head} ${parts.join(' ')}`.replace(/ ;/g, ';');
  }

  /** The line to show when a step failed for good (its dependents fail with it). Null for other work. */
  failed(id: string, error: string): string | null {
    const found = this.byId.get(id);
    if (!found) return null;
    return `chain ${found.chain.name}: ${found.step.taskName} failed (${error}); the steps after it fail too`;
  }
}

/**
 * Reads one chain back from the store for the summary.
 *
 * @example
 * const summary = await summarizeChain(engine, chain)
 */
export async function summarizeChain(engine: WorkEngine, chain: TrackedChain): Promise<DemoChainSummary> {
  const ids = chain.steps.map((s) => s.id);
  const current = new Map((await engine.query({ ids, limit: ids.length })).map((w) => [w.id, w]));
  const firstStart = new Map<string, number>();
  let lastEnd: number | null = null;
  for (const id of ids) {
    const runs = await engine.journal({ workId: id, limit: 1000 });
    const starts = runs.map((r) => r.startedAt);
    if (starts.length) firstStart.set(id, Math.min(...starts));
    const ends = runs.map((r) => r.endedAt).filter((e): e is number => e !== null);
    if (ends.length && (lastEnd === null || Math.max(...ends) > lastEnd)) lastEnd = Math.max(...ends);
  }
  const ranInOrder = ids
    .filter((id) => firstStart.has(id))
    .sort((a, b) => firstStart.get(a)! - firstStart.get(b)!)
    .map((id) => current.get(id)?.taskName ?? chain.steps.find((s) => s.id === id)!.taskName);
  const last = chain.steps.at(-1)!;
  const lastNow = current.get(last.id);
  const parents = last.prerequisites.map((p) => current.get(p));
  // The engine's own rule (mergeInputs), on what is stored: exactly what the last step was handed.
  const lastStepInput = lastNow && parents.every((p) => p?.state === 'succeeded') ? mergeInputs(lastNow.input, parents.map((p) => p!.output), 'array') : null;
  const first = Math.min(...[...firstStart.values()]);
  return {
    name: chain.name,
    steps: chain.steps.map((s) => ({ id: s.id, taskName: s.taskName, state: current.get(s.id)?.state ?? 'unknown' })),
    ranInOrder,
    lastStepInput,
    durationMs: lastNow?.state === 'succeeded' && lastEnd !== null && Number.isFinite(first) ? lastEnd - first : null,
  };
}
