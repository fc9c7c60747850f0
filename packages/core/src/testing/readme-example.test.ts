// The README's testing example, kept true by running it.
import { createTestDriver } from './index.js';
import { expect, it } from 'vitest';

it('retries the upload with backoff', async () => {
  let calls = 0;
  const driver = await createTestDriver({
    tasks: { upload: () => (++calls < 3 ? Promise.reject(new Error('offline')) : 'done') },
  });
  const { id } = await driver.enqueue('upload', { backoff: { initialDelay: '30s' } });
  await driver.advance('30s'); // attempt 2 runs exactly here
  expect(calls).toBe(2);
  await driver.runUntilIdle(); // attempt 3, at +90 s
  expect(await driver.info(id)).toMatchObject({ state: 'succeeded', attempt: 3, output: 'done' });
  expect((await driver.journal({ workId: id })).map((r) => r.outcome)).toEqual(['succeeded', 'retrying', 'retrying']);
  expect((await driver.journal({ workId: id }))[0]!.startedAt - driver.now()).toBe(0);
  await driver.dispose();
});
