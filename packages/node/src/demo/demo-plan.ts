/**
 * The work the demo enqueues on each run: a realistic mix with delays, tags and priorities, its
 * delays scaled like the handlers. Data only; it must never enqueue anything itself.
 */
import type { WorkRequest } from '@offstage/core';

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
 * delayed to 80% of it so it runs last and the whole plan finishes with time to spare.
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
    image('IMG_0001.jpg'),
    image('IMG_0002.jpg'),
    upload('IMG_0001.jpg', { priority: 'high' }),
    image('IMG_0003.jpg', { priority: 'low' }),
    upload('backup-2024.zip', { delay: at(3), tags: ['network', 'backup'] }),
    image('IMG_0004.jpg', { priority: 'low', delay: at(5) }),
    sync('carol', { delay: at(8) }),
    image('IMG_0005.jpg', { delay: at(11) }),
    { task: 'cleanup', request: { input: { olderThan: '7d' }, priority: 'low', delay: at(16), tags: ['maintenance'] } },
  ];
}
