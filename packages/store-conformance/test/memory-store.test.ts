/**
 * Runs the WorkStore conformance suite against MemoryStore, the reference implementation.
 */
import { MemoryStore } from '@offstage/core';
import { describeWorkStoreConformance } from '@offstage/store-conformance';

describeWorkStoreConformance({ name: 'MemoryStore', open: async () => new MemoryStore() });
