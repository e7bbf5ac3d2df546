// Line and branch coverage of src/ for one test run: what Jest measured inside
// its own processes, merged with the V8 coverage of the Baton child processes
// the e2e tests spawned (built dist/, mapped back to src/ through source maps
// by c8). Usage: node scripts/coverage-report.mjs (after `npm test`).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import libCoverage from 'istanbul-lib-coverage';
import libReport from 'istanbul-lib-report';
import reports from 'istanbul-reports';

const root = resolve('coverage');
const inProcess = resolve(root, 'jest/coverage-final.json');
const childRaw = resolve(root, 'v8');
const children = resolve(root, 'children');

if (!existsSync(inProcess)) {
  console.error(`${inProcess} is missing: run the tests with --coverage first (npm test does).`);
  process.exit(1);
}

const map = libCoverage.createCoverageMap(JSON.parse(readFileSync(inProcess, 'utf8')));
if (existsSync(childRaw)) {
  const c8 = spawnSync(process.execPath, [resolve('node_modules/c8/bin/c8.js'), 'report', '--temp-directory', childRaw, '--report-dir', children, '--reporter', 'json', '--include', 'dist/**', '--include', 'src/**', '--exclude', 'src/platform/database/generated/**', '--exclude-after-remap'], { stdio: 'inherit' });
  if (c8.status !== 0) process.exit(c8.status ?? 1);
  map.merge(JSON.parse(readFileSync(resolve(children, 'coverage-final.json'), 'utf8')));
}
// Only Baton's own sources count: not the generated Prisma client, not specs.
map.filter((file) => file.startsWith(resolve('src') + '/') && !file.includes('/generated/') && !file.endsWith('.spec.ts'));

const context = libReport.createContext({ dir: resolve(root, 'merged'), coverageMap: map, defaultSummarizer: 'flat' });
for (const reporter of ['text-summary', 'json-summary', 'lcovonly']) reports.create(reporter).execute(context);
