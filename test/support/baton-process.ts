import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

import { testSettings } from 'test/support/test-config.js';

// The built `baton <command>` as a child process, its stderr collected.
export interface BatonProcess {
  child: ChildProcess;
  stderr(): string;
  // Resolves with the exit code (or signal) once the process has ended.
  exited: Promise<number | string>;
  exitedWithin(ms: number): Promise<number | string | undefined>;
  kill(): void;
}

export function spawnBaton(args: string[], overrides: Record<string, string> = {}, env = testSettings(overrides)): BatonProcess {
  const child = spawn(process.execPath, [resolve('dist/main.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')));
  return {
    child,
    stderr: () => stderr,
    exited,
    exitedWithin: (ms) => Promise.race([exited, new Promise<undefined>((done) => setTimeout(() => done(undefined), ms).unref())]),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

// Baton's log lines: every line on stderr must be a JSON object, except the
// one human line saying where `baton serve` listens.
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '' && !/^Baton \S+ (listening on|worker running)/.test(line))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`stderr line is not a JSON log line: ${line.slice(0, 300)}`);
      }
    });
}

// Sends one JSON-RPC request over a child's stdin (or through `write`) and
// resolves with the response of the same id.
export function rpc(child: ChildProcess, id: number, method: string, params: Record<string, unknown> = {}, write = (line: string): unknown => child.stdin?.write(line)): Promise<Record<string, unknown>> {
  return new Promise((done, fail) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const message = JSON.parse(line) as Record<string, unknown>;
        if (message.id === id) {
          child.stdout?.off('data', onData);
          done(message);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', () => fail(new Error(`baton exited before answering ${method}`)));
    write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  });
}

export const INITIALIZE = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e-raw', version: '1.0.0' } };
