import { PassThrough, Writable, type Readable } from 'node:stream';

import { InitializeRequestSchema, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type InitializeResult, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

import { SERVER_CAPABILITIES, SERVER_INFO, SERVER_INSTRUCTIONS } from 'src/mcp/server-identity.js';

type Id = string | number;

// A first line longer than this is no initialize worth answering early: the
// server reads it as it reads any other line.
const FIRST_LINE_MAX_BYTES = 1024 * 1024;

let processHandshake: StdioHandshake | undefined;

// Agents spawn `baton stdio` and wait for its answer to `initialize` before
// anything else; loading the application and opening the database take
// about a second. The handshake answers that first `initialize` as soon as
// the command starts, from the same identity the server uses, and keeps every
// byte the client sends. Once the server is up, it gets those bytes, in
// order, as if it had read them itself: it initializes with the client's own
// request, and its answer to it, a duplicate of the one already given, is
// dropped. Requests sent meanwhile (tools/list, ...) wait for the server.
export class StdioHandshake {
  private readonly received: Buffer[] = [];
  // Bytes of the first line received before its newline.
  private pendingBytes = 0;
  // The id of the `initialize` answered here, until the server's own answer
  // to it has been dropped.
  private answered: Id | undefined;
  private firstLineSeen = false;
  private ended = false;
  private failure: Error | undefined;
  private handedOver = false;
  // The process that spawned this one, as it was at the start: it may die
  // before the server is up, and this process then has another parent.
  private readonly parentPid = process.ppid;

  private readonly onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.received.push(bytes);
    if (!this.firstLineSeen) this.lookForInitialize(bytes);
  };
  private readonly onEnd = (): void => {
    this.ended = true;
  };
  private readonly onError = (error: Error): void => {
    this.failure = error;
  };

  private constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {
    input.on('data', this.onData);
    input.once('end', this.onEnd);
    input.once('error', this.onError);
  }

  static start(input: Readable, output: Writable): StdioHandshake {
    return new StdioHandshake(input, output);
  }

  // The handshake on this process's stdin and stdout, started at the first call.
  static forProcess(): StdioHandshake {
    processHandshake ??= StdioHandshake.start(process.stdin, process.stdout);
    return processHandshake;
  }

  // The answer the server gives to `initialize`: the client's protocol
  // version when supported, else the latest, as the SDK's Server chooses.
  static answer(requestedVersion: string): InitializeResult {
    const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(requestedVersion) ? requestedVersion : LATEST_PROTOCOL_VERSION;
    return { protocolVersion, capabilities: SERVER_CAPABILITIES, serverInfo: SERVER_INFO, instructions: SERVER_INSTRUCTIONS };
  }

  // The streams the server's transport reads and writes from now on: what
  // the client sent so far followed by the rest of its input, and the output
  // without the duplicate answer; and the parent to watch. Called once.
  handOver(): { input: Readable; output: Writable; parentPid: number } {
    if (this.handedOver) throw new Error('the stdio handshake was already handed over');
    this.handedOver = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onError);
    this.input.pause();
    const input = new PassThrough();
    for (const chunk of this.received) input.write(chunk);
    this.received.length = 0;
    if (this.failure) input.destroy(this.failure);
    else if (this.ended) input.end();
    else {
      this.input.pipe(input);
      this.input.once('error', (error) => input.destroy(error));
    }
    return { input, output: this.filteredOutput(), parentPid: this.parentPid };
  }

  private lookForInitialize(bytes: Buffer): void {
    const newline = bytes.indexOf(0x0a);
    if (newline < 0) {
      this.pendingBytes += bytes.length;
      if (this.pendingBytes > FIRST_LINE_MAX_BYTES) this.firstLineSeen = true;
      return;
    }
    this.firstLineSeen = true;
    // The first line: the chunks received so far, up to this newline.
    const line = Buffer.concat(this.received).subarray(0, this.pendingBytes + newline).toString('utf8');
    const request = parseInitialize(line.replace(/\r$/, ''));
    // Anything else first (or a malformed initialize) is the server's to answer.
    if (!request) return;
    this.answered = request.id;
    this.output.write(`${JSON.stringify({ jsonrpc: '2.0', id: request.id, result: StdioHandshake.answer(request.protocolVersion) })}\n`);
  }

  // The SDK's stdio transport writes one whole message per write, as a
  // string. Written straight through to the output (no transform stream
  // and pipe in between, which cost a few percent of an append's CPU).
  private filteredOutput(): Writable {
    const output = this.output;
    const filter = new Writable({
      decodeStrings: false,
      write: (chunk: string | Buffer, encoding: BufferEncoding, done: (error?: Error | null) => void) => {
        if (this.answered !== undefined && isAnswerTo(chunk, this.answered)) {
          this.answered = undefined;
          done();
          return;
        }
        if (typeof chunk === 'string') output.write(chunk, encoding, done);
        else output.write(chunk, done);
      },
    });
    output.once('error', (error) => filter.destroy(error));
    return filter;
  }
}

function parseInitialize(line: string): { id: Id; protocolVersion: string } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = InitializeRequestSchema.safeParse(message);
  const id = (message as { id?: unknown }).id;
  if (!parsed.success || (message as { jsonrpc?: unknown }).jsonrpc !== '2.0' || (typeof id !== 'string' && typeof id !== 'number')) return undefined;
  return { id, protocolVersion: parsed.data.params.protocolVersion };
}

function isAnswerTo(chunk: string | Buffer, id: Id): boolean {
  try {
    const message = JSON.parse(typeof chunk === 'string' ? chunk : chunk.toString('utf8')) as JSONRPCMessage;
    return 'id' in message && message.id === id && ('result' in message || 'error' in message);
  } catch {
    return false;
  }
}
