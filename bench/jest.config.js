// Benchmarks run through the e2e project's setup (SWC transform, a fresh
// database and Redis per run), matching bench/**/*.bench.ts instead of tests.
import { resolve } from 'node:path';

import root from '../jest.config.js';

const e2e = root.projects.find((project) => project.displayName === 'e2e');

export default {
  projects: [
    {
      ...e2e,
      displayName: 'bench',
      rootDir: resolve(import.meta.dirname, '..'),
      testMatch: ['<rootDir>/bench/**/*.bench.ts'],
      moduleNameMapper: { '^bench/(.*)\\.js$': '<rootDir>/bench/$1', ...e2e.moduleNameMapper },
    },
  ],
};
