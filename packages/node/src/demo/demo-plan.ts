/**
 * The work the demo enqueues on each run: a realistic mix with delays, tags, priorities and a
 * network constraint, a periodic series and two photo chains, its delays scaled like the
 * handlers. Data only; it must never enqueue anything itself.
 */
import type { ChainStep, PeriodicWorkRequest, WorkRequest } from '@offstage/core';

/**
 * One item of the demo's plan.
 *
 * @example
 * const item: DemoItem = { task: 'sync-data', request: { input: { account: 'alice' }, priority: 'high' } }
 */
export interface DemoItem {
  task: string;
  request: WorkRequest;
}

/**
 * The demo's items for a run of `durationMs`: about a dozen, spread over the run, the cleanup
 * delayed to 80% of it so it runs last and the whole plan finishes with time to spare. The
 * contacts sync needs the network (it waits while the demo reports offline); the log upload meets
 * a 503 once.
 *
 * @example
 * for (const { task, request } of demoPlan(20_000)) await engine.enqueue(task, request)
 */
export function demoPlan(durationMs: number): DemoItem[] {
  const scale = durationMs / 20_000;
  const at = (seconds: number): number => Math.round(seconds * 1000 * scale);
  const sync = (account: string, request: WorkRequest = {}): DemoItem => ({ task: 'sync-data', request: { input: { account }, tags: ['sync'], ...request } });
  const image = (photo: string, request: WorkRequest = {}): DemoItem => ({ task: 'process-image', request: { input: { photo }, tags: ['media'], ...request } });
  const upload = (file: string, request: WorkRequest = {}): DemoItem => ({ task: 'flaky-upload', request: { input: { file }, tags: ['media', 'network'], ...request } });
  return [
    sync('settings', { priority: 'critical', tags: ['sync', 'settings'] }),
    sync('alice', { priority: 'high' }),
    sync('bob'),
    // Expedited: when the network returns it takes the next free slot, ahead of everything else.
    { task: 'sync-contacts', request: { input: { account: 'alice' }, constraints: { network: 'connected' }, expedited: true, tags: ['sync', 'network'] } },
    image('IMG_0001.jpg'),
    image('IMG_0002.jpg'),
    upload('IMG_0001.jpg', { priority: 'high' }),
    image('IMG_0003.jpg', { priority: 'low' }),
    upload('backup-2024.zip', { delay: at(3), tags: ['network', 'backup'] }),
    { task: 'upload-logs', request: { input: { file: 'app-2024-06-01.log' }, delay: at(1), tags: ['network', 'logs'] } },
    image('IMG_0004.jpg', { priority: 'low', delay: at(5) }),
    sync('carol', { delay: at(8) }),
    image('IMG_0005.jpg', { delay: at(11) }),
    { task: 'cleanup', request: { input: { olderThan: '7d' }, priority: 'low', delay: at(16), tags: ['maintenance'] } },
  ];
}

/**
 * The demo's periodic work: a feed refresh every 3 seconds (scaled like the rest, at least 1 s),
 * under a unique name with the `update` policy, so every demo run updates the one series in place
 * instead of adding another.
 *
 * @example
 * const { uniqueName, task, request } = demoPeriodic(20_000)
 * await engine.enqueueUniquePeriodic(uniqueName, task, 'update', request)
 */
export function demoPeriodic(durationMs: number): { uniqueName: string; task: string; request: PeriodicWorkRequest } {
  const every = Math.max(1000, Math.round(3000 * (durationMs / 20_000)));
  return { uniqueName: 'demo-feed', task: 'refresh-feed', request: { every, input: { feed: 'https://example.com/feed.xml' }, tags: ['feed'] } };
}

/**
 * One photo chain of the demo: `download` → (`resize` ∥ `thumbnail`) → `upload-image`.
 *
 * @example
 * const chain: DemoChain = demoChains(20_000)[0]!
 */
export interface DemoChain {
  /** The photo, which also names the chain. */
  name: string;
  first: ChainStep;
  parallel: ChainStep[];
  last: ChainStep;
}

/**
 * The demo's photo chains: the download's output (`path`) merges into the resize and thumbnail
 * inputs; their outputs (`file`) reach the upload through the array merger. The second chain
 * starts a little later.
 *
 * @example
 * for (const c of demoChains(20_000)) await engine.beginWith(c.first).then(c.parallel).then(c.last).enqueue()
 */
export function demoChains(durationMs: number): DemoChain[] {
  const scale = durationMs / 20_000;
  return ['IMG_0100.jpg', 'IMG_0200.jpg'].map((photo, i) => ({
    name: photo,
    first: { task: 'download', input: { url: `https://camera.example.com/${photo}`, photo }, tags: ['media', 'chain'], ...(i > 0 ? { delay: Math.round(4000 * scale) } : {}) },
    parallel: [
      { task: 'resize', input: { width: 2048 }, tags: ['media', 'chain'] },
      { task: 'thumbnail', input: { size: 256 }, tags: ['media', 'chain'] },
    ],
    last: { task: 'upload-image', input: { album: 'holiday' }, inputMerger: 'array', tags: ['media', 'chain', 'network'] },
  }));
}
