import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort, ServerProcess } from 'bench/support/server-process.js';

// The reference server (bench/reference/minimal-server.ts) over Streamable
// HTTP, as a child process like Baton. `nodeArgs` go before the script (e.g.
// `--import` of the telemetry preload), `env` beside DATABASE_URL.
export class ReferenceProcess extends ServerProcess {
  static async start(databaseUrl: string, nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<ReferenceProcess> {
    const port = await freePort();
    const script = fileURLToPath(new URL('../reference/minimal-server.js', import.meta.url));
    const child = spawn(process.execPath, [...nodeArgs, script, '--http', String(port)], { env: { PATH: process.env.PATH ?? '', ...env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'ignore', 'inherit'] });
    const url = new URL(`http://127.0.0.1:${port}/mcp`);
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null) throw new Error(`the reference server exited with ${child.exitCode}`);
      if (await fetch(url).then(() => true, () => false)) return new ReferenceProcess(child, url);
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error('the reference server did not listen within 30 s');
  }
}
