import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { freeLoopbackPort } from 'src/platform/embedded/embedded-server.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

const run = promisify(execFile);

// Baton as a user without services runs it: no DATABASE_URL, no REDIS_URL,
// only BATON_HOME (and a short idle period before the server stops).
export function embeddedEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? home, BATON_HOME: home, BATON_EMBEDDED_IDLE_SECONDS: '1', BATON_LOG_LEVEL: process.env.BATON_TEST_LOG_LEVEL ?? 'warn', ...extra };
}

// One `baton` command in BATON_HOME, to its end.
export async function runEmbeddedBaton(home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runEmbeddedBatonAs(undefined, home, ...args);
}

// The same as another user (only root may), whose HOME is the temporary directory.
export async function runEmbeddedBatonAs(user: { uid: number; gid: number } | undefined, home: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [resolve('dist/main.js'), ...args], { env: embeddedEnv(home, user ? { HOME: tmpdir() } : {}), ...user });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

export interface EmbeddedStdio {
  client: Client;
  pid: number;
}

export async function connectEmbeddedStdio(home: string, name = 'e2e-embedded', extra: Record<string, string> = {}): Promise<EmbeddedStdio> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [resolve('dist/main.js'), 'stdio'], env: embeddedEnv(home, extra), stderr: 'pipe' });
  const client = await connectMcpClient(transport, name);
  return { client, pid: transport.pid as number };
}

export interface EmbeddedServe {
  process: ChildProcess;
  url: URL;
}

// `baton serve` as its own process, on a free loopback port.
export async function startEmbeddedServe(home: string): Promise<EmbeddedServe> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, [resolve('dist/main.js'), 'serve', '--port', String(port)], { env: embeddedEnv(home), stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  await new Promise<void>((done, fail) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('listening on')) done();
    });
    child.once('exit', (code) => fail(new Error(`baton serve exited with ${code}: ${output}`)));
  });
  return { process: child, url: new URL(`http://127.0.0.1:${port}/mcp`) };
}

// The PostgreSQL postmaster of BATON_HOME, from its lock file.
export function postmasterPid(home: string): number | null {
  try {
    return Number(readFileSync(join(home, 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
