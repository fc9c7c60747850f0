/**
 * The demo's tasks, modelled on a mobile app's background work: a data sync, a contacts sync that
 * needs the network, an image-processing step, an upload that fails twice on a flaky network, a
 * log upload whose server answers 503 once (classified by the default classifier), a cleanup, a
 * periodic feed refresh, and the steps of a photo chain (download, then resize and thumbnail in
 * parallel, then upload-image, each step's input merged from the outputs before it). Timings
 * scale with the demo's duration so a short run still shows every behaviour. Handlers must honour
 * their abort signal, so a shutdown returns them to the queue promptly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultClassifier, defineTask, type ErrorClassifier, type TaskEntry } from '@offstage/core';

/**
 * The demo's one-time task names, chain steps last (the summary lists tasks in this order).
 *
 * @example
 * engine.status() // tasks: sync-data, process-image, flaky-upload, cleanup, download, ...
 */
export const DEMO_TASK_NAMES = ['sync-data', 'sync-contacts', 'process-image', 'flaky-upload', 'upload-logs', 'cleanup', 'download', 'resize', 'thumbnail', 'upload-image'] as const;

/**
 * The demo's periodic task: it never finishes, so the demo does not wait for it.
 *
 * @example
 * await engine.enqueueUniquePeriodic('demo-feed', PERIODIC_TASK_NAME, 'update', { every: '3s' })
 */
export const PERIODIC_TASK_NAME = 'refresh-feed';

/**
 * Output of `download`: where the photo landed. Merged into the input of `resize` and `thumbnail`.
 *
 * @example
 * const out: DownloadOutput = { path: 'downloads/IMG_0100.jpg', bytes: 4_194_304 }
 */
export interface DownloadOutput {
  path: string;
  bytes: number;
}

/**
 * Input `upload-image` receives: its own `album`, and every `file` its prerequisites output,
 * collected by the array merger.
 *
 * @example
 * const input: UploadImageInput = { album: ['holiday'], file: ['downloads/IMG_0100-2048.webp', 'downloads/IMG_0100-thumb.webp'] }
 */
export interface UploadImageInput {
  album: string[];
  file: string[];
}

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
 * The error `upload-logs` throws on its first attempt: what an HTTP client throws for a 503, which
 * the default classifier maps to its `server-error` rule.
 *
 * @example
 * defaultClassifier(serviceUnavailable())?.name // 'server-error'
 */
export function serviceUnavailable(): Error {
  return Object.assign(new Error('Service unavailable'), { status: 503 });
}

/**
 * The demo engine's classifier: the default classifier's decision (the same rule, by name, and the
 * same retry count), with the rule's delay shortened to `delayMs` so a retry fits in the demo
 * (the server-error rule waits 60 s in production).
 *
 * @example
 * createDemoClassifier(450)(serviceUnavailable()) // { name: 'server-error', delay: 450, maxRetries: 3 }
 */
export function createDemoClassifier(delayMs: number): ErrorClassifier {
  return (error) => {
    const rule = defaultClassifier(error);
    return rule && 'delay' in rule ? { ...rule, delay: delayMs } : rule;
  };
}

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
    // Enqueued with constraints { network: 'connected' }: it waits while the demo's network is offline.
    'sync-contacts': defineTask<{ account: string }>({
      maxAttempts: 3,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        const pages = 4;
        for (let page = 1; page <= pages; page++) {
          await sleep(ms(150), undefined, { signal });
          progress({ percent: (page / pages) * 100, step: `pulled contacts page ${page}/${pages} for ${input.account}` } satisfies DemoProgress);
        }
        return { account: input.account, contacts: 128 + input.account.length };
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
    // The server answers 503 to the first attempt; the engine's classifier (not this task's backoff) picks the retry.
    'upload-logs': defineTask<{ file: string }>({
      maxAttempts: 4,
      timeout: '1m',
      handler: async ({ input, attempt, signal, progress }) => {
        const chunks = 3;
        for (let chunk = 1; chunk <= chunks; chunk++) {
          await sleep(ms(120), undefined, { signal });
          if (attempt === 1 && chunk === 2) throw serviceUnavailable();
          progress({ percent: (chunk / chunks) * 100, step: `sent part ${chunk}/${chunks} of ${input.file}` } satisfies DemoProgress);
        }
        return { file: input.file, url: `https://logs.example.com/${encodeURIComponent(input.file)}` };
      },
    }),
    [PERIODIC_TASK_NAME]: defineTask<{ feed: string }, { feed: string; newItems: number }>({
      maxAttempts: 2,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        const pages = 3;
        for (let page = 1; page <= pages; page++) {
          await sleep(ms(150), undefined, { signal });
          progress({ percent: (page / pages) * 100, step: `fetched page ${page}/${pages} of ${input.feed}` } satisfies DemoProgress);
        }
        return { feed: input.feed, newItems: (Date.now() % 7) + 1 };
      },
    }),
    download: defineTask<{ url: string; photo: string }, DownloadOutput>({
      maxAttempts: 3,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        const chunks = 4;
        for (let chunk = 1; chunk <= chunks; chunk++) {
          await sleep(ms(120), undefined, { signal });
          progress({ percent: (chunk / chunks) * 100, step: `downloaded ${chunk} MB of ${chunks} from ${input.url}` } satisfies DemoProgress);
        }
        return { path: `downloads/${input.photo}`, bytes: chunks * 1_048_576 };
      },
    }),
    resize: defineTask<DownloadOutput & { width: number }, { file: string }>({
      maxAttempts: 3,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        for (const [i, step] of ['decode', `scale to ${input.width}px`, 'encode webp'].entries()) {
          await sleep(ms(120), undefined, { signal });
          progress({ percent: ((i + 1) / 3) * 100, step: `${step} ${input.path}` } satisfies DemoProgress);
        }
        return { file: input.path.replace(/\.\w+$/, `-${input.width}.webp`) };
      },
    }),
    thumbnail: defineTask<DownloadOutput & { size: number }, { file: string }>({
      maxAttempts: 3,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        for (const [i, step] of ['decode', `crop ${input.size}x${input.size}`].entries()) {
          await sleep(ms(120), undefined, { signal });
          progress({ percent: ((i + 1) / 2) * 100, step: `${step} ${input.path}` } satisfies DemoProgress);
        }
        return { file: input.path.replace(/\.\w+$/, '-thumb.webp') };
      },
    }),
    'upload-image': defineTask<UploadImageInput, { album: string; files: string[]; urls: string[] }>({
      maxAttempts: 3,
      timeout: '1m',
      handler: async ({ input, signal, progress }) => {
        const files = [input.file ?? []].flat();
        const urls: string[] = [];
        for (const [i, file] of files.entries()) {
          await sleep(ms(100), undefined, { signal });
          urls.push(`https://photos.example.com/${input.album?.[0] ?? 'camera'}/${encodeURIComponent(file.split('/').pop() ?? file)}`);
          progress({ percent: ((i + 1) / files.length) * 100, step: `uploaded ${file}` } satisfies DemoProgress);
        }
        return { album: input.album?.[0] ?? 'camera', files, urls };
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
