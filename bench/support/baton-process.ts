import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ProbeReply, ProbeRequest } from 'bench/support/probe-protocol.js';
import { freePort, ServerProcess } from 'bench/support/server-process.js';

const MAIN = resolve('dist/main.js');
// Generous: on a loaded machine start-up takes far longer than its usual second or two.
const READY_TIMEOUT_MS = 90_000;

// `baton serve` as a child process, exactly as operators start it. Its
// stdout and stderr (JSON log lines) go straight to a file, so the load
// generator spends no CPU on them.
export class BatonProcess extends ServerProcess {
  // With `probe` (the compiled bench/support/loop-probe.js), the process
  // loads it and answers ask() over an IPC channel. `main` is another
  // build's dist/main.js (bench:builds), this checkout's by default.
  static async start(env: Record<string, string>, logFile: string, nodeArgs: string[] = [], probe?: string, main = MAIN): Promise<BatonProcess> {
    const port = await freePort();
    const log = openSync(logFile, 'w');
    const child = spawn(process.execPath, [...nodeArgs, ...(probe ? ['--import', probe] : []), main, 'serve', '--host', '127.0.0.1', '--port', String(port)], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: probe ? ['ignore', log, log, 'ipc'] : ['ignore', log, log],
    });
    closeSync(log);
    const baton = new BatonProcess(child, new URL(`http://127.0.0.1:${port}/mcp`));
    await baton.waitReady(READY_TIMEOUT_MS, logFile);
    return baton;
  }

  private async waitReady(timeoutMs: number, logFile: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const ready = new URL('/health/ready', this.url);
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`baton serve exited with code ${this.child.exitCode}; see ${logFile}`);
      const ok = await fetch(ready).then((r) => r.ok, () => false);
      if (ok) return;
      await sleep(100);
    }
    throw new Error(`baton serve was not ready after ${timeoutMs} ms; see ${logFile}`);
  }

  async ask(request: ProbeRequest): Promise<ProbeReply> {
    if (!this.child.send) throw new Error('baton serve was started without the probe');
    const reply = once(this.child, 'message') as Promise<[ProbeReply]>;
    this.child.send(request);
    const [message] = await reply;
    if (message.type === 'error') throw new Error(`probe: ${message.message}`);
    return message;
  }
}

// `baton migrate`, the operators' path; it also creates the database.
export async function migrate(env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, [MAIN, 'migrate'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`baton migrate failed (exit ${code}): ${stderr.trim()}`);
}
