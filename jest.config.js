// ESM project: run with `node --experimental-vm-modules` (see package.json).
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      keepClassNames: true,
    },
    module: { type: 'es6' },
  },
];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^src/(.*)\\.js$': '<rootDir>/src/$1',
    '^test/(.*)\\.js$': '<rootDir>/test/$1',
    '^bench/(.*)\\.js$': '<rootDir>/bench/$1',
    '^test/(.*\\.mjs)$': '<rootDir>/test/$1',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

const e2e = {
  ...common,
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
};

export default {
  // Measured when run with --coverage (npm test); scripts/coverage-report.mjs
  // merges it with the coverage of the Baton processes the e2e tests spawn.
  coverageProvider: 'v8',
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/platform/database/generated/**'],
  coverageDirectory: 'coverage/jest',
  coverageReporters: ['json'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/deploy/**/*.spec.ts'], setupFiles: ['<rootDir>/test/support/unit-setup.ts'] },
    { ...e2e, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // The behaviour every deployment shares, again without Redis (BullMQ's
    // PostgreSQL backend, LISTEN/NOTIFY, in-process cache).
    {
      ...e2e,
      displayName: 'e2e-postgres',
      testMatch: ['tools', 'handoffs', 'handoff-expiry', 'resources', 'queue', 'lifecycle'].map((name) => `<rootDir>/test/e2e/${name}.e2e-spec.ts`),
      setupFiles: ['<rootDir>/test/support/postgres-backend.mjs'],
    },
  ],
};
