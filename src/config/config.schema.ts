import { z } from 'zod';

// One row per setting: where it lives in the config file, the environment
// variable that overrides it, its schema (with default) and a sentence for
// error messages and the README's configuration table.
export interface SettingSpec {
  readonly path: readonly [string, string];
  readonly env: string;
  readonly schema: z.ZodType;
  readonly help: string;
}

const port = z.coerce.number().int().min(1).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const list = z.union([z.array(z.string()), z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))]);

export const SETTINGS = [
  { path: ['database', 'url'], env: 'DATABASE_URL', schema: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL').default('postgresql://postgres@127.0.0.1:5432/baton'), help: 'PostgreSQL connection URL' },
  { path: ['database', 'poolSize'], env: 'BATON_DB_POOL_SIZE', schema: positiveInt.max(500).default(20), help: 'maximum PostgreSQL connections per process' },
  { path: ['redis', 'url'], env: 'REDIS_URL', schema: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'), help: 'Redis connection URL (events, cache, queues)' },
  { path: ['redis', 'keyPrefix'], env: 'BATON_REDIS_PREFIX', schema: z.string().min(1).max(64).default('baton'), help: 'prefix of every Redis key and channel Baton uses' },
  { path: ['http', 'host'], env: 'BATON_HTTP_HOST', schema: z.string().min(1).default('127.0.0.1'), help: 'address `baton serve` listens on' },
  { path: ['http', 'port'], env: 'BATON_HTTP_PORT', schema: port.default(3000), help: 'port `baton serve` listens on' },
  { path: ['http', 'allowedHosts'], env: 'BATON_ALLOWED_HOSTS', schema: list.default([]), help: 'extra Host header values accepted on /mcp (localhost names are always accepted when bound to loopback)' },
  { path: ['http', 'allowedOrigins'], env: 'BATON_ALLOWED_ORIGINS', schema: list.default([]), help: 'browser Origins accepted on /mcp; requests with any other Origin get 403' },
  { path: ['http', 'mcpSessionIdleSeconds'], env: 'BATON_MCP_SESSION_IDLE_SECONDS', schema: positiveInt.default(60 * 60), help: 'an MCP HTTP session with no request and no open stream for this long is closed' },
  { path: ['limits', 'maxEntryBytes'], env: 'BATON_MAX_ENTRY_BYTES', schema: positiveInt.max(16 * 1024 * 1024).default(256 * 1024), help: 'largest context entry (content plus metadata, UTF-8 bytes)' },
  { path: ['limits', 'defaultPageSize'], env: 'BATON_PAGE_SIZE', schema: positiveInt.max(1000).default(100), help: 'page size of get_context and list_sessions when none is asked' },
  { path: ['limits', 'maxPageSize'], env: 'BATON_MAX_PAGE_SIZE', schema: positiveInt.max(10_000).default(1000), help: 'largest page a caller may ask for' },
  { path: ['sessions', 'defaultNamespace'], env: 'BATON_NAMESPACE', schema: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -').default('default'), help: 'namespace of callers that are not mapped to another one' },
  { path: ['sessions', 'ttlSeconds'], env: 'BATON_SESSION_TTL_SECONDS', schema: positiveInt.default(24 * 60 * 60), help: 'default lifetime of a session before it expires' },
  { path: ['sessions', 'maxTtlSeconds'], env: 'BATON_SESSION_MAX_TTL_SECONDS', schema: positiveInt.default(30 * 24 * 60 * 60), help: 'largest lifetime a caller may ask for with ttlSeconds' },
  { path: ['sessions', 'dormantAfterSeconds'], env: 'BATON_DORMANT_AFTER_SECONDS', schema: positiveInt.default(30 * 60), help: 'idle time after which an active session becomes dormant' },
  { path: ['handoffs', 'defaultTokenBudget'], env: 'BATON_HANDOFF_TOKEN_BUDGET', schema: positiveInt.min(256).max(1_000_000).default(4000), help: 'token budget of a handoff package when request_handoff names none (at least 256)' },
  { path: ['handoffs', 'maxTokenBudget'], env: 'BATON_HANDOFF_MAX_TOKEN_BUDGET', schema: positiveInt.min(256).max(1_000_000).default(64_000), help: 'largest tokenBudget a caller may ask for' },
  { path: ['handoffs', 'pendingTtlSeconds'], env: 'BATON_HANDOFF_TTL_SECONDS', schema: positiveInt.default(24 * 60 * 60), help: 'a handoff still pending after this long expires' },
  { path: ['cache', 'briefTtlSeconds'], env: 'BATON_BRIEF_CACHE_TTL_SECONDS', schema: positiveInt.default(15 * 60), help: 'how long a brief or summary of an active session stays cached (every append makes it stale at once)' },
  { path: ['cache', 'dormantBriefTtlSeconds'], env: 'BATON_BRIEF_CACHE_DORMANT_TTL_SECONDS', schema: positiveInt.default(60), help: 'cache lifetime of briefs of dormant, expired and archived sessions (lower cache priority)' },
  { path: ['cache', 'timeoutMs'], env: 'BATON_CACHE_TIMEOUT_MS', schema: positiveInt.max(60_000).default(250), help: 'a cache read or write slower than this is abandoned and the value computed instead' },
  { path: ['queue', 'workersInServe'], env: 'BATON_WORKERS_IN_SERVE', schema: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).default(true), help: 'run the background workers inside `baton serve` too (true or false); `baton worker` always runs them' },
  { path: ['queue', 'concurrency'], env: 'BATON_WORKER_CONCURRENCY', schema: positiveInt.max(256).default(4), help: 'jobs one worker process runs at once, per queue' },
  { path: ['log', 'level'], env: 'BATON_LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), help: 'log level (logs are JSON lines on stderr)' },
] as const satisfies readonly SettingSpec[];

type Infer<S> = S extends { schema: z.ZodType<infer T> } ? T : never;
type Section<P extends string> = {
  [S in (typeof SETTINGS)[number] as S['path'][0] extends P ? S['path'][1] : never]: Infer<S>;
};

export interface BatonConfig {
  database: Section<'database'>;
  redis: Section<'redis'>;
  http: Section<'http'>;
  limits: Section<'limits'>;
  sessions: Section<'sessions'>;
  handoffs: Section<'handoffs'>;
  cache: Section<'cache'>;
  queue: Section<'queue'>;
  log: Section<'log'>;
}
