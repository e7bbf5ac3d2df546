import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { runFuzz } from 'test/support/fuzz/fuzz-runner.js';
import { fuzzSeed } from 'test/support/fuzz/seeded-random.js';

// A few thousand generated calls across every tool, resource, completion,
// REST route and raw HTTP body, hostile values mixed with valid ones. Replay
// a failure with FUZZ_SEED=<seed>; FUZZ_CALLS changes the count. The longer
// run of the same generator is bench/fuzz.bench.ts.
const CALLS = Number(process.env.FUZZ_CALLS ?? 2_000);
const seed = fuzzSeed();

let baton: RunningHttpBaton;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'baton-fuzz-'));
  writeFileSync(join(root, 'index.ts'), "import { greet } from './greet.js';\nexport const hello = greet('fuzz');\n");
  writeFileSync(join(root, 'greet.ts'), 'export function greet(name: string): string {\n  return `hello ${name}`;\n}\n');
  baton = await startHttpBaton({ BATON_ALLOWED_ROOTS: root, BATON_LOG_LEVEL: 'fatal' });
});

afterAll(async () => {
  await baton.close();
  rmSync(root, { recursive: true, force: true });
});

it(`survives ${CALLS} generated hostile calls (seed ${seed}): no INTERNAL, no hang, every acknowledged write stored once, sequences gapless`, async () => {
  const report = await runFuzz({ url: baton.url, databaseUrl: process.env.BATON_E2E_DATABASE_URL as string, allowedRoot: root, seed, calls: CALLS, callTimeoutMs: 15_000 });
  const context = `fuzz seed ${seed} (replay with FUZZ_SEED=${seed} FUZZ_CALLS=${CALLS})`;
  expect({ context, failures: report.failures.slice(0, 20), failureCount: report.failures.length }).toEqual({ context, failures: [], failureCount: 0 });
  expect({ context, ledgerProblems: report.ledgerProblems.slice(0, 20) }).toEqual({ context, ledgerProblems: [] });
  // The run did reach every kind of call and wrote through the hostile ones.
  expect(report.tools.length).toBeGreaterThanOrEqual(16);
  expect(report.tools.filter((tool) => !report.byKind[`tool ${tool}`])).toEqual([]);
  expect(report.byKind).toMatchObject({ resource: expect.any(Number), complete: expect.any(Number), rest: expect.any(Number), raw: expect.any(Number) });
  expect(report.acknowledged.entries).toBeGreaterThan(CALLS / 50);
  expect(report.outcomes['tool error INVALID_ARGUMENT']).toBeGreaterThan(CALLS / 10);
}, Math.max(120_000, CALLS * 60));
