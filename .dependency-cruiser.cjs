/** Baton's architecture boundaries (see shared style): checked, not remembered. */
module.exports = {
  forbidden: [
    {
      name: 'platform-is-infrastructure',
      comment: 'platform/ holds infrastructure without business rules: it never reaches into features, MCP or HTTP.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/(features|mcp|http)/' },
    },
    {
      name: 'services-know-no-protocol',
      comment: 'Services, repositories and domain files never import MCP or HTTP code.',
      severity: 'error',
      from: { path: '^src/features/[^/]+/[^/]+\\.(service|repository|types|errors)\\.ts$' },
      to: { path: '^src/(mcp|http)/|@modelcontextprotocol|^src/features/[^/]+/mcp/' },
    },
    {
      name: 'prisma-only-in-repositories',
      comment: 'Only *.repository.ts files and platform/database touch Prisma.',
      severity: 'error',
      from: { path: '^src/', pathNot: '(\\.repository\\.ts$|^src/platform/database/)' },
      to: { path: '(@prisma/|^src/platform/database/generated/)' },
    },
    {
      name: 'features-meet-through-services',
      comment: 'A feature uses another only through its service, module, domain types/errors, shared MCP schemas and pure reducers of its data.',
      severity: 'error',
      from: { path: '^src/features/([^/]+)/' },
      to: {
        path: '^src/features/([^/]+)/',
        pathNot: ['^src/features/$1/', '\\.(service|module|types|errors|schemas|reducer)\\.ts$'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^src/platform/database/generated/|\\.spec\\.ts$)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
