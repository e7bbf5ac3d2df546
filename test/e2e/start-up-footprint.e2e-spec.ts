import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { registerSession } from 'test/factories/session.factory.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { createOwnDatabase, type OwnDatabase } from 'test/support/own-database.js';
import { ownRedisPrefix } from 'test/support/own-redis.js';
import { childEnv, testSettings } from 'test/support/test-config.js';
import { waitFor } from 'test/support/wait-for.js';

// The V8 flags start-up sets at run time (src/platform/runtime/start-up-footprint.ts)
// work on the Node running the suite: V8 reads them when it needs them. A
// flag V8 does not know would be reported on stdout, which `baton stdio`
// keeps for the protocol, so the child must print nothing but its result.
const PROBE = `
import v8 from 'node:v8';
const footprint = await import(${JSON.stringify(pathToFileURL(resolve('dist/platform/runtime/start-up-footprint.js')).href)});
const newSpaceMiB = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
// Short-lived objects that survive one scavenge, as module loading makes:
// what makes V8 grow the young generation.
function churn() {
  let keep = [];
  for (let i = 0; i < 400_000; i++) {
    keep.push({ i, text: 'entry ' + i });
    if (keep.length > 20_000) keep = [];
  }
}
footprint.holdYoungGenerationWhileStarting();
footprint.compileWebAssemblyBaselineOnly();
churn();
const held = newSpaceMiB();
footprint.startUpDone();
churn();
const grown = newSpaceMiB();
// A WebAssembly module still compiles and runs with the baseline compiler only.
const add = new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,10,9,1,7,0,32,0,32,1,106,11]))).exports.add;
process.stdout.write(JSON.stringify({ held, grown, sum: add(2, 3) }));
`;

async function runProbe(): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  return { stdout, stderr, code };
}

describe('start-up footprint', () => {
  it('holds the young generation while starting, lets it grow once the process serves, and prints nothing', async () => {
    const { stdout, stderr, code } = await runProbe();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(stdout) as { held: number; grown: number; sum: number };
    // The initial size (two semi-spaces of at most 1 MiB); without the hold
    // the same churn grows it to 16 MiB.
    expect(result.held).toBeLessThanOrEqual(2);
    expect(result.grown).toBeGreaterThan(result.held);
    expect(result.sum).toBe(5);
  });
});

// Loaded before Baton: counts the WebAssembly modules the process compiles
// (Prisma's query compiler is the only one) and writes the count to stderr
// on SIGUSR2.
const WASM_COUNTER = `data:text/javascript,${encodeURIComponent(`
let compiled = 0;
WebAssembly.Module = new Proxy(WebAssembly.Module, { construct(target, args, newTarget) { compiled++; return Reflect.construct(target, args, newTarget); } });
process.on('SIGUSR2', () => process.stderr.write(JSON.stringify({ wasmModules: compiled }) + '\\n'));
`)}`;

describe('what an idle baton stdio holds', () => {
  let own: OwnDatabase;

  // Its own database: no analysis another test left unfinished.
  beforeAll(async () => {
    own = await createOwnDatabase('footprint');
  });

  afterAll(async () => {
    await own?.drop();
  });

  it('has not loaded Prisma\'s query compiler once its workers are up, until a tool needs it', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', WASM_COUNTER, resolve('dist/main.js'), 'stdio'],
      env: childEnv(testSettings({ DATABASE_URL: own.url, BATON_REDIS_PREFIX: ownRedisPrefix('footprint'), BATON_LOG_LEVEL: 'debug' })),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const client = await connectMcpClient(transport, 'footprint');
    try {
      const compiled = async (): Promise<number> => {
        const before = stderr.length;
        process.kill(transport.pid as number, 'SIGUSR2');
        const line = await waitFor('the module count', () => /\{"wasmModules":(\d+)\}/.exec(stderr.slice(before)) ?? undefined);
        return Number(line[1]);
      };
      // The analysis worker's start hook has asked for unfinished analyses.
      await waitFor('the workers\' start hooks', () => stderr.includes('worker start hooks done'), 30_000);
      expect(await compiled()).toBe(0);
      await registerSession(client);
      expect(await compiled()).toBe(1);
    } finally {
      await client.close();
    }
  });
});
