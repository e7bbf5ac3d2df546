import { Inject, Injectable, Logger } from '@nestjs/common';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { localPrincipal } from 'src/platform/access/principal.js';
import { McpServerFactory } from 'src/mcp/mcp-server.factory.js';
import { McpTelemetry } from 'src/mcp/mcp-telemetry.js';

// How often a stdio server checks that the process that spawned it lives.
const PARENT_CHECK_MS = 1_000;

// Work deferred until the first answer starts at the latest this long after
// the server is up.
const FIRST_ANSWER_GRACE_MS = 2_000;

export interface StdioServeOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  // Reparenting of this process ends the server.
  parentPid?: number;
  // Work that the first answer must not wait for (e.g. starting workers).
  afterFirstAnswer?: () => void;
}

// MCP over stdin/stdout for agents that spawn Baton. stdout carries protocol
// messages only; logs go to stderr.
@Injectable()
export class StdioTransport {
  private readonly logger = new Logger(StdioTransport.name);

  constructor(
    private readonly factory: McpServerFactory,
    private readonly telemetry: McpTelemetry,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  // Resolves with the reason once the client is gone: stdin ends or fails,
  // stdout cannot be written, the process that spawned Baton died (its pipe
  // may live on in another process), or the server closed.
  async serve(options: StdioServeOptions = {}): Promise<string> {
    const { input = process.stdin, output = process.stdout, parentPid = process.ppid } = options;
    const server = this.factory.create({ principal: localPrincipal(this.config.sessions.defaultNamespace), source: 'stdio' });
    let finish: (reason: string) => void = () => undefined;
    const finished = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const detach = server.onclose;
    server.onclose = () => {
      detach?.();
      finish('server closed');
    };
    const onEnd = (): void => finish('stdin closed');
    const onInputError = (error: Error): void => finish(`stdin failed: ${error.message}`);
    const onOutputError = (error: Error): void => finish(`stdout failed: ${error.message}`);
    input.once('end', onEnd);
    input.once('close', onEnd);
    input.once('error', onInputError);
    output.once('error', onOutputError);
    // Reparented (to init or a subreaper) means the parent died. A parent of
    // 1 at start (a container's init) is not watched.
    const watch = setInterval(() => {
      if (process.ppid !== parentPid) finish(`parent process ${parentPid} exited`);
    }, PARENT_CHECK_MS);
    if (parentPid <= 1) clearInterval(watch);
    watch.unref();
    const transport = new StdioServerTransport(input as NodeJS.ReadStream, output as NodeJS.WriteStream);
    await server.connect(transport);
    this.telemetry.instrument(transport, 'pipe');
    this.logger.log({ parentPid }, 'stdio server up');
    const afterFirstAnswer = this.afterFirstAnswer(transport, options.afterFirstAnswer);
    const reason = await finished;
    clearTimeout(afterFirstAnswer);
    clearInterval(watch);
    input.off('end', onEnd);
    input.off('close', onEnd);
    input.off('error', onInputError);
    output.off('error', onOutputError);
    this.logger.log({ reason }, 'stdio client gone');
    await server.close().catch(() => undefined);
    return reason;
  }

  // Runs `then` once the first answer (to `initialize`) is written, or after
  // a grace period when no client speaks, so that it never delays that answer.
  private afterFirstAnswer(transport: StdioServerTransport, then: (() => void) | undefined): NodeJS.Timeout | undefined {
    if (!then) return undefined;
    let done = false;
    const run = (): void => {
      if (done) return;
      done = true;
      clearTimeout(grace);
      try {
        then();
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'start after the first answer failed');
      }
    };
    const grace = setTimeout(run, FIRST_ANSWER_GRACE_MS);
    grace.unref();
    const send = transport.send.bind(transport);
    transport.send = async (message) => {
      await send(message);
      if (!done && 'id' in message) setImmediate(run);
    };
    return grace;
  }
}
