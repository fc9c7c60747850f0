/**
 * Chains: `beginWith([a, b]).then(c).then([d, e])`, and combinations of chains. A continuation is
 * an immutable node in a graph of steps; `enqueue()` turns the whole graph into rows with
 * prerequisites, stored in one transaction. Building never touches the store.
 */
import { InvalidChainError } from '../errors.js';
import { describeValue } from '../model/describe-value.js';
import type { ExistingWorkPolicy, WorkInfo, WorkRequest } from '../model/work.js';
import type { UniqueOutcome } from '../policy/plan-unique.js';

/** One step of a chain: a task name and its request (`after` adds existing work to wait for). */
export interface ChainStep<Input = unknown> extends Omit<WorkRequest<Input>, 'id'> {
  /** The task to run. */
  task: string;
}

/** What enqueueing a chain produced. */
export interface ChainResult {
  /** `enqueued` for plain chains; for unique chains, what the policy did. */
  outcome: UniqueOutcome;
  /** The items stored by this call, prerequisites first (empty when a unique chain was kept). */
  work: WorkInfo[];
}

/** The engine side of a continuation: how a built graph is stored. */
export interface ChainEnqueuer {
  enqueueChain(nodes: ReadonlyArray<{ steps: readonly ChainStep[]; parents: readonly number[] }>, unique: UniqueChain | null): Promise<ChainResult>;
}

/** A unique name and policy applied to a whole chain. */
export interface UniqueChain {
  name: string;
  policy: ExistingWorkPolicy;
}

/**
 * A chain under construction. Every step of a `then` waits for every leaf step before it.
 *
 * @example
 * await engine.beginWith({ task: 'download', input: { url } })
 *   .then([{ task: 'resize' }, { task: 'thumbnail' }])
 *   .then({ task: 'upload' })
 *   .enqueue()
 */
export class WorkContinuation {
  /** @internal */
  constructor(
    private readonly enqueuer: ChainEnqueuer,
    /** @internal */ readonly steps: readonly ChainStep[],
    /** @internal */ readonly parents: readonly WorkContinuation[],
    /** @internal */ readonly unique: UniqueChain | null,
  ) {
    for (const step of steps) {
      if (!step || typeof step !== 'object' || typeof step.task !== 'string') {
        throw new InvalidChainError(`Each chain step must be an object with a task name, such as { task: 'resize', input }; got ${describeValue(step)}.`);
      }
    }
  }

  /** A new continuation whose steps start after every leaf of this one succeeds. */
  then(steps: ChainStep | readonly ChainStep[]): WorkContinuation {
    const list = Array.isArray(steps) ? (steps as readonly ChainStep[]) : [steps as ChainStep];
    if (list.length === 0) throw new InvalidChainError(`then() needs at least one step.`);
    return new WorkContinuation(this.enqueuer, list, [this], null);
  }

  /** Stores every step of the graph in one transaction; dependents start `blocked`. */
  async enqueue(): Promise<ChainResult> {
    const nodes: Array<{ steps: readonly ChainStep[]; parents: number[] }> = [];
    const index = new Map<WorkContinuation, number>();
    const unique = new Set<UniqueChain>();
    // Depth-first, parents before children: the order the store needs prerequisites in.
    const visit = (node: WorkContinuation, path: Set<WorkContinuation>): number => {
      if (path.has(node)) throw new InvalidChainError(`The chain has a cycle; a step cannot depend on itself.`);
      const known = index.get(node);
      if (known !== undefined) return known;
      path.add(node);
      const parents = node.parents.map((p) => visit(p, path));
      path.delete(node);
      if (node.unique) unique.add(node.unique);
      nodes.push({ steps: node.steps, parents });
      index.set(node, nodes.length - 1);
      return nodes.length - 1;
    };
    visit(this, new Set());
    if (unique.size > 1) throw new InvalidChainError(`A chain can carry one unique name; combine unique chains by appending with the 'append' policy instead.`);
    return this.enqueuer.enqueueChain(nodes, [...unique][0] ?? null);
  }

  /**
   * Joins continuations: steps added with `then` wait for the leaves of all of them.
   *
   * @example
   * await WorkContinuation.combine([photos, videos]).then({ task: 'notify' }).enqueue()
   */
  static combine(continuations: readonly WorkContinuation[]): WorkContinuation {
    const first = continuations[0];
    if (!first) throw new InvalidChainError(`combine() needs at least one continuation.`);
    return new WorkContinuation(first.enqueuer, [], continuations, null);
  }
}
