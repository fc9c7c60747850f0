/**
 * Conformance cases for query: AND-ed filters with any-of array fields, newest first (createdAt,
 * then insertion order), and paging. An empty filter array matches nothing, never everything.
 */
import { expect, it } from 'vitest';
import type { WorkQuery } from '@offstage/core';
import type { StoreHarness } from '../store-harness.js';

/**
 * Registers the query cases.
 *
 * @example
 * describe('query', () => queryCases(createStoreHarness(target)));
 */
export function queryCases(h: StoreHarness): void {
  it('filters by ids, states, task names and tags, AND-ed, each matching any of its values', async () => {
    await h.enqueue(
      { id: 'a', taskName: 'sync', tags: ['x'] },
      { id: 'b', taskName: 'sync', tags: ['y', 'z'], state: 'blocked' },
      { id: 'c', taskName: 'upload', tags: ['x', 'y'] },
      { id: 'd', taskName: 'upload', tags: [] },
    );
    const ids = async (query: WorkQuery) => (await h.store.query(query)).map((s) => s.id).sort();
    expect(await ids({})).toEqual(['a', 'b', 'c', 'd']);
    expect(await ids({ ids: ['a', 'c', 'missing'] })).toEqual(['a', 'c']);
    expect(await ids({ states: ['blocked'] })).toEqual(['b']);
    expect(await ids({ states: ['enqueued', 'running'] })).toEqual(['a', 'c', 'd']);
    expect(await ids({ taskNames: ['upload'] })).toEqual(['c', 'd']);
    expect(await ids({ tags: ['y'] })).toEqual(['b', 'c']);
    expect(await ids({ tags: ['x', 'z'] })).toEqual(['a', 'b', 'c']);
    expect(await ids({ taskNames: ['sync'], tags: ['x', 'y'] })).toEqual(['a', 'b']);
    expect(await ids({ taskNames: ['sync'], tags: ['x', 'y'], states: ['enqueued'] })).toEqual(['a']);
    expect(await ids({ ids: ['a', 'b', 'c'], taskNames: ['upload'] })).toEqual(['c']);
    expect(await ids({ ids: ['d'], tags: ['x'] })).toEqual([]);
  });

  it('treats an empty filter array as matching nothing', async () => {
    await h.enqueue({ id: 'a', tags: ['x'] });
    expect(await h.store.query({ ids: [] })).toEqual([]);
    expect(await h.store.query({ states: [] })).toEqual([]);
    expect(await h.store.query({ taskNames: [] })).toEqual([]);
    expect(await h.store.query({ tags: [] })).toEqual([]);
  });

  it('returns the newest first: by createdAt, then by insertion order', async () => {
    await h.enqueue({ id: 'z', createdAt: 10 }, { id: 'k', createdAt: 30 }, { id: 'a', createdAt: 10 });
    await h.enqueue({ id: 'q', createdAt: 20 }, { id: 'm', createdAt: 10 });
    expect((await h.store.query({})).map((s) => s.id)).toEqual(['k', 'q', 'm', 'a', 'z']);
  });

  it('pages with limit and offset after filtering', async () => {
    await h.enqueue(...Array.from({ length: 7 }, (_, i) => ({ id: `w${i}`, createdAt: i, tags: i % 2 === 0 ? ['even'] : [] })));
    const page = async (query: WorkQuery) => (await h.store.query(query)).map((s) => s.id);
    expect(await page({ limit: 3 })).toEqual(['w6', 'w5', 'w4']);
    expect(await page({ limit: 3, offset: 3 })).toEqual(['w3', 'w2', 'w1']);
    expect(await page({ limit: 3, offset: 6 })).toEqual(['w0']);
    expect(await page({ limit: 3, offset: 9 })).toEqual([]);
    expect(await page({ offset: 5 })).toEqual(['w1', 'w0']);
    expect(await page({ tags: ['even'], limit: 2, offset: 1 })).toEqual(['w4', 'w2']);
  });

  it('returns at most 100 items when no limit is given', async () => {
    await h.enqueue(...Array.from({ length: 150 }, (_, i) => ({ id: `w${i}`, createdAt: i })));
    const first = await h.store.query({});
    expect(first).toHaveLength(100);
    expect(first[0]?.id).toBe('w149');
    expect(await h.store.query({ offset: 100 })).toHaveLength(50);
  });

  it('reflects the current state of each item', async () => {
    await h.enqueue({ id: 'a' }, { id: 'b' });
    await h.claimOne('a', { now: 5 });
    expect(await h.store.query({ states: ['running'] })).toStrictEqual([await h.store.get('a')]);
    expect((await h.store.query({ states: ['enqueued'] })).map((s) => s.id)).toEqual(['b']);
  });
}
