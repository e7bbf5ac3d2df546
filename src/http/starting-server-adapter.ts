import type { Server } from 'node:http';

import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';

import type { StartingServer } from 'src/http/starting-server.js';

// Nest's Express adapter on the server `baton serve` listens on before the
// application loads: `app.listen()` hands the server over instead of
// listening again, and closing the application ends the connections the
// server has had since it started (what forceCloseConnections does for the
// adapter's own server).
export class StartingServerAdapter extends ExpressAdapter {
  private forceCloseConnections = false;

  constructor(private readonly starting: StartingServer) {
    super();
  }

  override initHttpServer(options: NestApplicationOptions): void {
    this.forceCloseConnections = options.forceCloseConnections === true;
    this.setHttpServer(this.starting.server);
  }

  override listen(_port: string | number, ...args: unknown[]): Server {
    this.starting.handOver(this.getInstance());
    const callback = args.at(-1);
    if (typeof callback === 'function') process.nextTick(callback as () => void);
    return this.starting.server;
  }

  override close(): Promise<unknown> | undefined {
    if (this.forceCloseConnections) this.starting.destroyConnections();
    return super.close();
  }
}
