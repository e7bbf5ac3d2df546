// The embedded PostgreSQL's keeper: a small detached process started beside
// the server. It stops the server once no Baton process has held a lease for
// the idle period, also when the last one was killed without a chance to say
// so. Run as `node embedded-keeper.js <BATON_HOME> <idleSeconds>`.
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { homeLayout, loadCredentials, lockHome, readServerRecord, type Credentials } from 'src/platform/embedded/embedded-home.js';
import { leaseCount, openConnection, serverBinaries, stopServer } from 'src/platform/embedded/embedded-server.js';

const POLL_MS = 500;

// Leases held now, or null when the server does not answer.
async function countLeases(credentials: Credentials, port: number, dataDirectory: string): Promise<number | null> {
  const client = await openConnection(credentials, port, 'baton-keeper', dataDirectory);
  if (!client) return null;
  try {
    return await leaseCount(client);
  } finally {
    await client.end();
  }
}

async function keep(home: string, idleSeconds: number): Promise<void> {
  const layout = homeLayout(home);
  const credentials = await loadCredentials(layout);
  let idleSince: number | null = null;
  for (;;) {
    await sleep(POLL_MS);
    const server = await readServerRecord(layout);
    // Another keeper took over, or the server was stopped.
    if (!server || (server.keeperPid !== 0 && server.keeperPid !== process.pid)) return;
    const leases = await countLeases(credentials, server.port, layout.data);
    if (leases === null) return; // the server is gone; the next Baton process starts it again
    if (leases > 0) {
      idleSince = null;
      continue;
    }
    idleSince ??= Date.now();
    if (Date.now() - idleSince < idleSeconds * 1000) continue;
    // Under the start-up lock no process can join between the last count and the stop.
    const release = await lockHome(layout);
    try {
      const again = await countLeases(credentials, server.port, layout.data);
      if (again !== null && again > 0) {
        idleSince = null;
        continue;
      }
      await rm(layout.server, { force: true });
      await stopServer(layout, await serverBinaries(layout));
      return;
    } finally {
      await release();
    }
  }
}

const [home, idle] = process.argv.slice(2);
if (!home || !idle) {
  process.stderr.write('usage: embedded-keeper <BATON_HOME> <idleSeconds>\n');
  process.exit(2);
}
keep(home, Number(idle)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`baton keeper: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
