import { MemoryStore } from '@offstage/core';
import { describeEngineConformance } from '../src/engine/engine-cases.js';

describeEngineConformance({ name: 'MemoryStore', open: async () => new MemoryStore() });
