import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local stand-in for hosted model APIs, speaking OpenAI's Chat Completions
// (also under Azure's deployment paths) and Anthropic's Messages API. Each
// request takes the next scripted behaviour; with none left it answers 'ok'.
export type FakeBehaviour = { kind: 'ok'; text: string } | { kind: 'status'; status: number } | { kind: 'hang' };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeLlmServer {
  baseUrl: string;
  requests: RecordedRequest[];
  script(...behaviours: FakeBehaviour[]): void;
  close(): Promise<void>;
}

export async function startFakeLlmServer(defaultText = 'condensed'): Promise<FakeLlmServer> {
  const requests: RecordedRequest[] = [];
  const queue: FakeBehaviour[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      const behaviour = queue.shift() ?? { kind: 'ok', text: defaultText };
      if (behaviour.kind === 'hang') {
        hanging.add(res);
        return;
      }
      if (behaviour.kind === 'status') {
        res.writeHead(behaviour.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'fake_error', message: `scripted ${behaviour.status}` } }));
        return;
      }
      const anthropic = (req.url ?? '').includes('/v1/messages');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(anthropic ? anthropicReply(body, behaviour.text) : openAiReply(body, behaviour.text)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script: (...behaviours) => queue.push(...behaviours),
    close: async () => {
      for (const res of hanging) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function openAiReply(body: Record<string, unknown>, text: string) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
  };
}

function anthropicReply(body: Record<string, unknown>, text: string) {
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 110, output_tokens: 25 },
  };
}
