// Import boundaries of src/, checked by `npm run lint` (depcruise + scripts/check-folder-cycles.mjs).
// Type-only imports count: a boundary is about what a folder knows of, not only what it runs.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-other-folder',
      severity: 'error',
      comment: 'src/core/ is the kernel (errors, principals, contracts, plugin shape): it imports nothing from other folders of src/.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'server-only-from-routes',
      severity: 'error',
      comment:
        'src/server/ (Fastify, hooks, policy, SSE) is imported only by route files (routes.ts, routes/**, webapp/serve.ts), ' +
        'and the composition root src/app/; everything else depends on src/core/.',
      from: {
        path: '^src/',
        pathNot: ['^src/server/', '^src/app/', '(^|/)routes\\.ts$', '(^|/)routes/', '^src/webapp/serve\\.ts$'],
      },
      to: { path: '^src/server/' },
    },
  ],
  options: {
    includeOnly: '^src/',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: {
      // `depcruise src -T archi` or `--collapse '^src/[^/]+'` draws the folder-level graph.
      archi: { collapsePattern: '^src/[^/]+' },
    },
  },
};
