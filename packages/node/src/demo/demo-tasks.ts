/**
 * The demo's tasks, modelled on a mobile app's background work: a data sync, an image-processing
 * step, an upload that fails twice on a flaky network, and a cleanup. Timings scale with the
 * demo's duration so a short run still shows every behaviour. Handlers must honour their abort
 * signal, so a shutdown returns them to the queue promptly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask, type TaskEntry } from '@offstage/core';

/**
 * The demo's task names.
 *
 * @example
 * engine.status() // tasks: sync-data, process-image, flaky-upload, cleanup
 */
export const DEMO_TASK_NAMES = ['sync-data', 'process-image', 'flaky-upload', 'cleanup'] as const;

/**
 * Progress the demo's handlers report: a percentage and what they are doing.
 *
 * @example
 * progress({ percent: 40, step: 'pulled page 4/10 for alice' } satisfies DemoProgress)
 */
export interface DemoProgress {
  percent: number;
  step: string;
}

/**
 * The upload fails until this attempt, then succeeds (deterministic per work item).
 *
 * @example
 * if (attempt < UPLOAD_SUCCEEDS_ON_ATTEMPT) throw new Error('ECONNRESET')
 */
export const UPLOAD_SUCCEEDS_ON_ATTEMPT = 3;

/**
 * The demo's tasks, with handler times multiplied by `scale` (1 for a 20-second demo).
 *
 * @example
 * createOffstage({ db: ':memory:', tasks: createDemoTasks(0.3) })
 */
export function createDemoTasks(scale: number): Record<string, TaskEntry> {
  const ms = (n: number): number => Math.max(20, Math.round(n * scale));
  return {
    'sync-data': defineTask<{ account: string }>({
      maxAttempts: 3,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        const pages = 10;
        let records = 0;
        for (let page = 1; page <= pages; page++) {
          await sleep(ms(300), undefined, { signal });
          records += 25 + ((input.account.length * page) % 17);
          progress({ percent: (page / pages) * 100, step: `pulled page ${page}/${pages} for ${input.account}` } satisfies DemoProgress);
        }
        return { account: input.account, records };
      },
    }),
    'process-image': defineTask<{ photo: string }>({
      maxAttempts: 3,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        const steps = ['decode', 'rotate', 'resize 2048px', 'resize 512px', 'thumbnail', 'strip EXIF', 'encode webp', 'write'];
        for (const [i, step] of steps.entries()) {
          await sleep(ms(250), undefined, { signal });
          progress({ percent: ((i + 1) / steps.length) * 100, step: `${step} ${input.photo}` } satisfies DemoProgress);
        }
        return { photo: input.photo, thumbnail: input.photo.replace(/\.\w+$/, '.thumb.webp') };
      },
    }),
    'flaky-upload': defineTask<{ file: string }>({
      maxAttempts: 5,
      timeout: '1m',
      // Short, so a short demo still shows all three attempts: 1 s then 2 s at full length, 300 ms then 600 ms in a 6 s demo.
      backoff: { policy: 'exponential', initialDelay: Math.max(250, ms(1000)), maxDelay: '30s' },
      handler: async ({ input, attempt, signal, progress }) => {
        const chunks = 4;
        for (let chunk = 1; chunk <= chunks; chunk++) {
          await sleep(ms(150), undefined, { signal });
          if (attempt < UPLOAD_SUCCEEDS_ON_ATTEMPT && chunk === 2 + (attempt % 2)) {
            throw new Error(`ECONNRESET: connection reset while uploading ${input.file} (chunk ${chunk}/${chunks}, simulated flaky network)`);
          }
          progress({ percent: (chunk / chunks) * 100, step: `uploaded chunk ${chunk}/${chunks} of ${input.file}` } satisfies DemoProgress);
        }
        return { file: input.file, url: `https://files.example.com/${encodeURIComponent(input.file)}` };
      },
    }),
    cleanup: defineTask<{ olderThan: string }>({
      maxAttempts: 2,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        const caches = ['thumbnails', 'upload-chunks', 'sync-cursors'];
        for (const [i, cache] of caches.entries()) {
          await sleep(ms(300), undefined, { signal });
          progress({ percent: ((i + 1) / caches.length) * 100, step: `cleared ${cache} older than ${input.olderThan}` } satisfies DemoProgress);
        }
        return { cleared: caches };
      },
    }),
  };
}
