import { isAbsolute } from 'node:path';

import { z } from 'zod';

import { LLM_PROVIDERS } from 'src/platform/llm/llm.types.js';

// One row per setting: where it lives in the config file, the environment
// variable that overrides it, its schema (with default) and a sentence for
// error messages and the README's configuration table.
export interface SettingSpec {
  readonly path: readonly [string, string];
  readonly env: string;
  readonly schema: z.ZodType;
  readonly help: string;
  // Secrets may come from the file named by `<env>_FILE` and are never shown
  // in logs or error messages.
  readonly secret?: true;
}

const port = z.coerce.number().int().min(1).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const list = z.union([z.array(z.string()), z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))]);
const absolutePaths = list.pipe(z.array(z.string().refine((p) => isAbsolute(p), 'must be absolute paths, separated by commas')));
const namespaceName = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');
const flag = z.union([z.boolean(), z.enum(['true', 'false'], 'must be true or false').transform((v) => v === 'true')]);
const retention = z.union([positiveInt, z.literal('forever')], 'must be a positive number of seconds or "forever"');

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
// The instrumentations Baton can load, by the names of OpenTelemetry's Node
// auto-instrumentations (src/platform/telemetry/telemetry.ts).
export const INSTRUMENTATION_NAMES = ['http', 'pg', 'runtime-node', 'pino', 'express', 'nestjs-core', 'ioredis', 'undici', 'prisma'] as const;
export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];
export const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], 'must be true or false');
// `key=value,key2=value2` (the OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS form), or a mapping in the file.
const keyValues = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  const pairs: Record<string, string> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf('=');
    if (at <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not key=value; write pairs like a=1,b=2`, input: value });
      return z.NEVER;
    }
    pairs[decodeURIComponent(part.slice(0, at).trim())] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return pairs;
}, z.record(z.string(), z.string(), 'must be key=value pairs separated by commas (a mapping in the file)'));
// A comma-separated list of names from `allowed`; an unknown one is named in the error.
function nameList<const T extends string>(allowed: readonly [T, ...T[]], what: string) {
  const known = new Set<string>(allowed);
  // One message for the whole list, naming every unknown item (not one per
  // item, prefixed by its position).
  return list.pipe(
    z.array(z.string()).check((ctx) => {
      const unknown = ctx.value.filter((item) => !known.has(item));
      if (unknown.length === 0) return;
      const names = unknown.map((item) => `"${item}"`).join(', ');
      ctx.issues.push({ code: 'custom', input: ctx.value, message: `${names} ${unknown.length === 1 ? 'is' : 'are'} unknown: must be ${what} ${allowed.join(', ')}, separated by commas` });
    }).transform((items) => items as T[]),
  );
}
export const QUEUE_BACKENDS = ['auto', 'redis', 'postgres'] as const;

export const TAG_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

// One lifecycle policy rule: which sessions it covers (a namespace, a tag, or
// both) and the timings it sets for them. Every rule that covers a session
// applies, in file order, later rules overriding earlier ones field by field.
export const LifecyclePolicyRuleSchema = z
  .strictObject(
    {
      namespace: namespaceName.optional(),
      tag: z.string().regex(TAG_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -').optional(),
      dormantAfterSeconds: positiveInt.optional(),
      ttlSeconds: positiveInt.optional(),
      maxLifetimeSeconds: positiveInt.optional(),
      archiveAfterSeconds: positiveInt.optional(),
      retentionSeconds: retention.optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}; a rule has namespace, tag, dormantAfterSeconds, ttlSeconds, maxLifetimeSeconds, archiveAfterSeconds, retentionSeconds` : undefined) },
  )
  .refine((rule) => rule.namespace !== undefined || rule.tag !== undefined, 'a rule needs namespace or tag (or both) to say which sessions it covers')
  .refine((rule) => Object.keys(rule).some((key) => key !== 'namespace' && key !== 'tag'), 'a rule must set at least one timing');
export type LifecyclePolicyRule = z.infer<typeof LifecyclePolicyRuleSchema>;

// A list in the config file, or the same list as a JSON string in the environment.
const policyRules = z.preprocess((value, ctx) => {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return [];
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not valid JSON (${(error as Error).message})`, input: value });
    return z.NEVER;
  }
}, z.array(LifecyclePolicyRuleSchema, 'must be a list of rules, e.g. [{"tag": "compliance", "retentionSeconds": "forever"}]'));

// Rate limit rules: `name=points/seconds`, `name=points/seconds+burst` or
// `name=off` (see rate-limit-policy.ts), comma-separated in the environment.
export const RATE_LIMIT_RULE = /^([a-z][a-z0-9_]*)=(off|(\d+)\/(\d+)(?:\+(\d+))?)$/;
export const RATE_LIMIT_ROLES = ['reader', 'agent', 'operator', 'admin', 'local'] as const;
function rateLimitRules(names: 'roles' | 'tools') {
  const ruleShape = names === 'roles' ? `${RATE_LIMIT_ROLES.join('|')}=points/seconds[+burst] or =off` : 'tool_name=points/seconds[+burst] or =off';
  return list.pipe(
    z.array(
      z
        .string()
        .regex(RATE_LIMIT_RULE, `each rule must read ${ruleShape}, e.g. ${names === 'roles' ? 'agent=600/60+120' : 'analyze_codebase=10/60'}`)
        .refine((rule) => names === 'tools' || (RATE_LIMIT_ROLES as readonly string[]).includes(rule.slice(0, rule.indexOf('='))), `a rule must name one of ${RATE_LIMIT_ROLES.join(', ')}`)
        .refine((rule) => !/=(0+\/|\d+\/0+(\D|$))/.test(rule), 'points and seconds must be at least 1 (write =off for no limit)'),
    ),
  );
}

export const SETTINGS = [
  { path: ['database', 'url'], env: 'DATABASE_URL', schema: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL').optional(), help: 'PostgreSQL connection URL; when empty, Baton runs its own embedded PostgreSQL in BATON_HOME (secret: may come from DATABASE_URL_FILE)', secret: true },
  { path: ['database', 'poolSize'], env: 'BATON_DB_POOL_SIZE', schema: positiveInt.max(500).default(20), help: 'maximum PostgreSQL connections per process' },
  { path: ['database', 'home'], env: 'BATON_HOME', schema: z.string().refine((p) => isAbsolute(p), 'must be an absolute path').optional(), help: 'data directory of the embedded PostgreSQL (used when DATABASE_URL is empty); default $XDG_DATA_HOME/baton, ~/.local/share/baton, ~/Library/Application Support/baton or %LOCALAPPDATA%\\baton, and /var/lib/baton for root' },
  { path: ['database', 'embeddedIdleSeconds'], env: 'BATON_EMBEDDED_IDLE_SECONDS', schema: positiveInt.max(24 * 60 * 60).default(30), help: 'the embedded PostgreSQL stops this long after the last Baton process using it has exited' },
  { path: ['database', 'autoMigrate'], env: 'BATON_AUTO_MIGRATE', schema: flag.default(true), help: '`baton serve`, `stdio` and `worker` apply pending migrations at start (true or false; the embedded database always is); when false they refuse to start on an unmigrated database and name `baton migrate`' },
  { path: ['redis', 'url'], env: 'REDIS_URL', schema: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(), help: 'Redis connection URL (events, cache, queues); when empty, Baton needs no Redis: PostgreSQL carries jobs and notifications and the cache is in-process (secret: may come from REDIS_URL_FILE)', secret: true },
  { path: ['redis', 'keyPrefix'], env: 'BATON_REDIS_PREFIX', schema: z.string().min(1).max(64).default('baton'), help: 'prefix of every Redis key and channel Baton uses; without Redis, of its PostgreSQL notification channel and job schema' },
  { path: ['http', 'host'], env: 'BATON_HTTP_HOST', schema: z.string().min(1).default('127.0.0.1'), help: 'address `baton serve` listens on' },
  { path: ['http', 'port'], env: 'BATON_HTTP_PORT', schema: port.default(3000), help: 'port `baton serve` listens on' },
  { path: ['http', 'allowedHosts'], env: 'BATON_ALLOWED_HOSTS', schema: list.default([]), help: 'extra Host header values accepted on every HTTP route (localhost names are always accepted when bound to loopback)' },
  { path: ['http', 'allowedOrigins'], env: 'BATON_ALLOWED_ORIGINS', schema: list.default([]), help: 'browser Origins accepted on every HTTP route; requests with any other Origin get 403' },
  { path: ['http', 'mcpSessionIdleSeconds'], env: 'BATON_MCP_SESSION_IDLE_SECONDS', schema: positiveInt.default(60 * 60), help: 'an MCP HTTP session with no request and no open stream for this long is closed' },
  { path: ['auth', 'issuer'], env: 'BATON_AUTH_ISSUER', schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(), help: 'issuer URL of the OAuth 2.1 authorization server whose access tokens `baton serve` accepts on /mcp and /api; setting it turns authentication on' },
  { path: ['auth', 'resource'], env: 'BATON_AUTH_RESOURCE', schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(), help: 'canonical URI of this Baton\'s MCP endpoint (e.g. https://baton.example.com/mcp); access tokens must name it as their audience' },
  { path: ['auth', 'jwksUrl'], env: 'BATON_AUTH_JWKS_URL', schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(), help: 'where the issuer publishes its signing keys (JWKS); when empty, the jwks_uri of the issuer\'s published metadata' },
  { path: ['auth', 'requiredScopes'], env: 'BATON_AUTH_REQUIRED_SCOPES', schema: list.default([]), help: 'scopes every access token must carry, comma-separated; named in the 401 challenge and the protected resource metadata' },
  { path: ['auth', 'namespaceClaim'], env: 'BATON_AUTH_NAMESPACE_CLAIM', schema: z.string().min(1).max(128).default('baton_namespace'), help: 'access-token claim naming the namespace the caller belongs to; a token without it belongs to BATON_NAMESPACE' },
  { path: ['auth', 'agentsClaim'], env: 'BATON_AUTH_AGENTS_CLAIM', schema: z.string().min(1).max(128).default('baton_agents'), help: 'access-token claim listing the agent ids the caller may act as (a string or a list); a token without it acts only as its subject (`sub`)' },
  { path: ['auth', 'allowUnauthenticatedNetwork'], env: 'BATON_AUTH_ALLOW_UNAUTHENTICATED_NETWORK', schema: flag.default(false), help: 'true lets `baton serve` listen beyond loopback without authentication (anyone who reaches the port can read and change everything); otherwise it refuses to start' },
  { path: ['auth', 'apiKeys'], env: 'BATON_AUTH_API_KEYS', schema: flag.default(false), help: 'true makes `baton serve` accept API keys made with `baton keys create` as Bearer tokens on /mcp and /api (true or false); turns authentication on, with or without BATON_AUTH_ISSUER' },
  { path: ['auth', 'apiKeyTtlSeconds'], env: 'BATON_API_KEY_TTL_SECONDS', schema: positiveInt.default(90 * 24 * 60 * 60), help: 'lifetime of an API key when `baton keys create` is given no --expires-in' },
  { path: ['auth', 'apiKeyCacheSeconds'], env: 'BATON_API_KEY_CACHE_SECONDS', schema: z.coerce.number().int().min(0).max(300).default(10), help: 'how long `baton serve` keeps a verified API key\'s record in memory (0-300); a revoked key stops working within this time, at once with 0' },
  { path: ['limits', 'maxEntryBytes'], env: 'BATON_MAX_ENTRY_BYTES', schema: positiveInt.max(16 * 1024 * 1024).default(256 * 1024), help: 'largest context entry (content plus metadata, UTF-8 bytes)' },
  { path: ['limits', 'defaultPageSize'], env: 'BATON_PAGE_SIZE', schema: positiveInt.max(1000).default(100), help: 'page size of get_context and list_sessions when none is asked' },
  { path: ['limits', 'maxPageSize'], env: 'BATON_MAX_PAGE_SIZE', schema: positiveInt.max(10_000).default(1000), help: 'largest page a caller may ask for' },
  { path: ['limits', 'maxPageBytes'], env: 'BATON_MAX_PAGE_BYTES', schema: positiveInt.max(256 * 1024 * 1024).default(4 * 1024 * 1024), help: 'largest size of the entries one page of get_context (and the context resource and REST) returns, content plus metadata in UTF-8 bytes; a page that would pass it ends early with nextAfterSequence where it stopped; a page always holds at least one entry' },
  { path: ['limits', 'rateLimits'], env: 'BATON_RATE_LIMITS', schema: rateLimitRules('roles').default(['reader=120/60+30', 'agent=600/60+120', 'operator=600/60+120', 'admin=1200/60+240']), help: 'tool calls per credential, by role: role=points/seconds+burst (the burst is extra calls once the rate is used up, renewed every ten intervals) or role=off; roles not named keep their default; `local` (stdio, and HTTP without authentication) is not limited unless named' },
  { path: ['limits', 'toolRateLimits'], env: 'BATON_TOOL_RATE_LIMITS', schema: rateLimitRules('tools').default([]), help: 'per-tool overrides of BATON_RATE_LIMITS: tool_name=points/seconds+burst or tool_name=off; calls of such a tool count in a bucket of their own per credential, whatever the role' },
  { path: ['limits', 'httpRateLimits'], env: 'BATON_HTTP_RATE_LIMITS', schema: rateLimitRules('roles').default(['reader=600/60+120', 'agent=2400/60+480', 'operator=2400/60+480', 'admin=4800/60+960']), help: 'HTTP requests to /mcp and /api per credential on each Baton process, by role, in the form of BATON_RATE_LIMITS; over it a request gets 429 with Retry-After' },
  { path: ['limits', 'maxInFlightPerCredential'], env: 'BATON_MAX_IN_FLIGHT_PER_CREDENTIAL', schema: positiveInt.max(100_000).default(32), help: 'HTTP requests one credential may have in progress on one Baton process (open GET notification streams not counted); one more gets 503 with Retry-After at once; the local user is not capped' },
  { path: ['limits', 'maxMcpSessionsPerCredential'], env: 'BATON_MAX_MCP_SESSIONS_PER_CREDENTIAL', schema: positiveInt.max(100_000).default(16), help: 'open MCP HTTP sessions one credential may hold on one Baton process; an initialize beyond it is refused until one is closed (DELETE /mcp) or idles out; the local user is not capped' },
  { path: ['sessions', 'defaultNamespace'], env: 'BATON_NAMESPACE', schema: namespaceName.default('default'), help: 'namespace of callers that are not mapped to another one' },
  { path: ['sessions', 'ttlSeconds'], env: 'BATON_SESSION_TTL_SECONDS', schema: positiveInt.default(24 * 60 * 60), help: 'default lifetime of a session before it expires' },
  { path: ['sessions', 'maxTtlSeconds'], env: 'BATON_SESSION_MAX_TTL_SECONDS', schema: positiveInt.default(30 * 24 * 60 * 60), help: 'largest lifetime a caller may ask for with ttlSeconds' },
  { path: ['sessions', 'dormantAfterSeconds'], env: 'BATON_DORMANT_AFTER_SECONDS', schema: positiveInt.default(30 * 60), help: 'idle time after which an active session becomes dormant' },
  { path: ['handoffs', 'defaultTokenBudget'], env: 'BATON_HANDOFF_TOKEN_BUDGET', schema: positiveInt.min(256).max(1_000_000).default(4000), help: 'token budget of a handoff package when request_handoff names none (at least 256)' },
  { path: ['handoffs', 'maxTokenBudget'], env: 'BATON_HANDOFF_MAX_TOKEN_BUDGET', schema: positiveInt.min(256).max(1_000_000).default(64_000), help: 'largest tokenBudget a caller may ask for' },
  { path: ['handoffs', 'pendingTtlSeconds'], env: 'BATON_HANDOFF_TTL_SECONDS', schema: positiveInt.default(24 * 60 * 60), help: 'a handoff still pending after this long expires' },
  { path: ['cache', 'briefTtlSeconds'], env: 'BATON_BRIEF_CACHE_TTL_SECONDS', schema: positiveInt.default(15 * 60), help: 'how long a brief or summary of an active session stays cached (every append makes it stale at once)' },
  { path: ['cache', 'dormantBriefTtlSeconds'], env: 'BATON_BRIEF_CACHE_DORMANT_TTL_SECONDS', schema: positiveInt.default(60), help: 'cache lifetime of briefs of dormant, expired and archived sessions (lower cache priority)' },
  { path: ['cache', 'timeoutMs'], env: 'BATON_CACHE_TIMEOUT_MS', schema: positiveInt.max(60_000).default(250), help: 'a cache read or write slower than this is abandoned and the value computed instead' },
  { path: ['llm', 'provider'], env: 'BATON_LLM_PROVIDER', schema: z.enum(LLM_PROVIDERS).default('none'), help: `model used to condense handoff briefs: ${LLM_PROVIDERS.join(', ')} (none keeps briefs deterministic)` },
  { path: ['llm', 'baseUrl'], env: 'BATON_LLM_BASE_URL', schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(), help: 'API base URL: an OpenAI-compatible server (OpenRouter, Ollama, LM Studio, ...), the Azure resource endpoint, or an Anthropic proxy; the vendor default when empty' },
  { path: ['llm', 'apiKey'], env: 'BATON_LLM_API_KEY', schema: z.string().min(1).optional(), help: 'API key for the model provider (secret: may come from BATON_LLM_API_KEY_FILE)', secret: true },
  { path: ['llm', 'model'], env: 'BATON_LLM_MODEL', schema: z.string().min(1).default('gpt-4o-mini'), help: 'model name (for Azure OpenAI: the deployment name)' },
  { path: ['llm', 'azureApiVersion'], env: 'BATON_LLM_AZURE_API_VERSION', schema: z.string().min(1).default('2024-10-21'), help: 'Azure OpenAI API version' },
  { path: ['llm', 'timeoutMs'], env: 'BATON_LLM_TIMEOUT_MS', schema: positiveInt.default(20_000), help: 'time allowed for one model call before it counts as failed' },
  { path: ['llm', 'maxAttempts'], env: 'BATON_LLM_MAX_ATTEMPTS', schema: positiveInt.max(10).default(3), help: 'tries per condensation (first try included), with exponential backoff between them' },
  { path: ['llm', 'breakerFailures'], env: 'BATON_LLM_BREAKER_FAILURES', schema: positiveInt.default(5), help: 'consecutive failed condensations that open the circuit breaker' },
  { path: ['llm', 'breakerResetMs'], env: 'BATON_LLM_BREAKER_RESET_MS', schema: positiveInt.default(30_000), help: 'time the open breaker waits before letting one trial call through' },
  { path: ['codebase', 'allowedRoots'], env: 'BATON_ALLOWED_ROOTS', schema: absolutePaths.default([]), help: 'absolute directories analyze_codebase may read, comma-separated; `baton stdio` defaults to its working directory, `baton serve` allows none unless set' },
  { path: ['codebase', 'maxFileBytes'], env: 'BATON_ANALYSIS_MAX_FILE_BYTES', schema: positiveInt.default(1024 * 1024), help: 'larger source files are reported as too large instead of analysed' },
  { path: ['codebase', 'jobThresholdFiles'], env: 'BATON_ANALYSIS_JOB_THRESHOLD_FILES', schema: positiveInt.default(2000), help: 'codebases with more source files than this are analysed as a background job; the tool answers at once with the job id' },
  { path: ['codebase', 'mapTokens'], env: 'BATON_ANALYSIS_MAP_TOKENS', schema: positiveInt.max(100_000).default(2048), help: 'token budget of the ranked codebase map when the caller gives no tokenBudget' },
  { path: ['codebase', 'keepPerRoot'], env: 'BATON_ANALYSIS_KEEP', schema: positiveInt.max(1000).default(5), help: 'finished analyses kept per session and root: when one finishes, older ones of the same session and root are deleted' },
  { path: ['sessions', 'maxLifetimeSeconds'], env: 'BATON_SESSION_MAX_LIFETIME_SECONDS', schema: positiveInt.default(7 * 24 * 60 * 60), help: 'activity pushes expiresAt to now + the session\'s ttl, but never past this long after it was registered' },
  { path: ['lifecycle', 'archiveAfterSeconds'], env: 'BATON_ARCHIVE_AFTER_SECONDS', schema: positiveInt.default(7 * 24 * 60 * 60), help: 'time after expiry at which a session is archived (entries moved to compressed cold storage)' },
  { path: ['lifecycle', 'retentionSeconds'], env: 'BATON_RETENTION_SECONDS', schema: retention.default(90 * 24 * 60 * 60), help: 'time after archival at which a session is purged (its content deleted), or `forever`' },
  { path: ['lifecycle', 'policies'], env: 'BATON_LIFECYCLE_POLICIES', schema: policyRules.default([]), help: 'per-namespace or per-tag overrides of the lifecycle timings: a list of rules (JSON in the environment), see the README' },
  { path: ['lifecycle', 'sweepIntervalSeconds'], env: 'BATON_SWEEP_INTERVAL_SECONDS', schema: positiveInt.default(60), help: 'how often the lifecycle sweeper catches up on transitions whose jobs were missed' },
  { path: ['lifecycle', 'sweepBatchSize'], env: 'BATON_SWEEP_BATCH_SIZE', schema: positiveInt.max(50_000).default(1000), help: 'sessions the sweeper transitions per statement' },
  { path: ['audit', 'retentionDays'], env: 'BATON_AUDIT_RETENTION_DAYS', schema: positiveInt.max(36_500).default(365), help: 'days an audit trail event is kept; older events are deleted by the lifecycle sweep' },
  { path: ['queue', 'backend'], env: 'BATON_QUEUE_BACKEND', schema: z.enum(QUEUE_BACKENDS).default('auto'), help: 'where background jobs live: redis, postgres, or auto (redis when REDIS_URL is set, otherwise postgres)' },
  { path: ['queue', 'workersInServe'], env: 'BATON_WORKERS_IN_SERVE', schema: flag.default(true), help: 'run the background workers inside `baton serve` too (true or false); `baton worker` always runs them' },
  { path: ['queue', 'concurrency'], env: 'BATON_WORKER_CONCURRENCY', schema: positiveInt.max(256).default(4), help: 'jobs one worker process runs at once, per queue' },
  { path: ['queue', 'attempts'], env: 'BATON_JOB_ATTEMPTS', schema: positiveInt.max(100).default(5), help: 'tries of a failing job before it lands in the failed set' },
  { path: ['queue', 'backoffMs'], env: 'BATON_JOB_BACKOFF_MS', schema: positiveInt.default(1000), help: 'first retry delay of a failing job, doubled on each further try' },
  { path: ['queue', 'lockDurationMs'], env: 'BATON_JOB_LOCK_MS', schema: positiveInt.min(100).default(30_000), help: 'a running job\'s lock; a job whose worker died is retried once its lock has run out' },
  { path: ['queue', 'stalledCheckMs'], env: 'BATON_JOB_STALLED_CHECK_MS', schema: positiveInt.min(100).default(30_000), help: 'how often workers look for jobs whose worker died' },
  { path: ['telemetry', 'disabled'], env: 'OTEL_SDK_DISABLED', schema: bool.default(false), help: 'turn OpenTelemetry off entirely: no traces, no metrics, no /metrics endpoint (true or false)' },
  { path: ['telemetry', 'serviceName'], env: 'OTEL_SERVICE_NAME', schema: z.string().min(1).default('baton'), help: 'service.name of every span, metric and log record' },
  { path: ['telemetry', 'resourceAttributes'], env: 'OTEL_RESOURCE_ATTRIBUTES', schema: keyValues.optional(), help: 'extra resource attributes as key=value pairs separated by commas, e.g. deployment.environment.name=prod,service.namespace=tools' },
  { path: ['telemetry', 'otlpEndpoint'], env: 'OTEL_EXPORTER_OTLP_ENDPOINT', schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://collector:4318' }).optional(), help: 'OTLP collector base URL; traces, metrics and logs are exported there when set (per-signal paths /v1/traces, /v1/metrics, /v1/logs are added for the HTTP protocols)' },
  { path: ['telemetry', 'otlpProtocol'], env: 'OTEL_EXPORTER_OTLP_PROTOCOL', schema: z.enum(OTLP_PROTOCOLS).default('http/protobuf'), help: `OTLP transport: ${OTLP_PROTOCOLS.join(', ')}` },
  { path: ['telemetry', 'otlpHeaders'], env: 'OTEL_EXPORTER_OTLP_HEADERS', schema: keyValues.optional(), help: 'headers sent with every OTLP export as key=value pairs separated by commas (e.g. an API key); never logged' },
  { path: ['telemetry', 'tracesExporter'], env: 'OTEL_TRACES_EXPORTER', schema: z.enum(['otlp', 'console', 'none']).default('otlp'), help: 'where spans go: otlp (when OTEL_EXPORTER_OTLP_ENDPOINT is set), console (stderr) or none' },
  { path: ['telemetry', 'metricsExporter'], env: 'OTEL_METRICS_EXPORTER', schema: nameList(['prometheus', 'otlp', 'console', 'none'], 'one or more of').default(['prometheus', 'otlp']), help: 'where metrics go, comma-separated: prometheus (/metrics on `baton serve`, OTEL_EXPORTER_PROMETHEUS_PORT for `baton worker`), otlp (when OTEL_EXPORTER_OTLP_ENDPOINT is set), console, none' },
  { path: ['telemetry', 'logsExporter'], env: 'OTEL_LOGS_EXPORTER', schema: z.enum(['otlp', 'none']).default('otlp'), help: 'send log records over OTLP as well as to stderr: otlp (when OTEL_EXPORTER_OTLP_ENDPOINT is set) or none' },
  { path: ['telemetry', 'disabledInstrumentations'], env: 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', schema: nameList(INSTRUMENTATION_NAMES, 'instrumentation names among').default([]), help: `instrumentations not to load, comma-separated, among ${INSTRUMENTATION_NAMES.join(', ')}; express,nestjs-core drops the spans that repeat the HTTP and MCP ones` },
  { path: ['telemetry', 'sampler'], env: 'OTEL_TRACES_SAMPLER', schema: z.enum(TRACE_SAMPLERS).default('parentbased_always_on'), help: `which traces are recorded: ${TRACE_SAMPLERS.join(', ')}` },
  { path: ['telemetry', 'samplerArg'], env: 'OTEL_TRACES_SAMPLER_ARG', schema: z.coerce.number().min(0).max(1).default(1), help: 'sampling ratio for the traceidratio samplers, 0 to 1' },
  { path: ['telemetry', 'metricExportIntervalMs'], env: 'OTEL_METRIC_EXPORT_INTERVAL', schema: positiveInt.min(100).default(60_000), help: 'how often metrics are pushed over OTLP (Prometheus pulls on its own schedule)' },
  { path: ['telemetry', 'prometheusHost'], env: 'OTEL_EXPORTER_PROMETHEUS_HOST', schema: z.string().min(1).default('127.0.0.1'), help: 'address of the Prometheus endpoint of `baton worker` (`baton serve` answers /metrics on its HTTP port)' },
  { path: ['telemetry', 'prometheusPort'], env: 'OTEL_EXPORTER_PROMETHEUS_PORT', schema: port.default(9464), help: 'port of the Prometheus endpoint of `baton worker`, at /metrics' },
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
  auth: Section<'auth'>;
  limits: Section<'limits'>;
  sessions: Section<'sessions'>;
  handoffs: Section<'handoffs'>;
  cache: Section<'cache'>;
  lifecycle: Section<'lifecycle'>;
  audit: Section<'audit'>;
  queue: Section<'queue'>;
  llm: Section<'llm'>;
  codebase: Section<'codebase'>;
  log: Section<'log'>;
  telemetry: Section<'telemetry'>;
}
