import { FORGED_CURSORS, hostileString, mutate } from 'test/support/fuzz/hostile-values.js';
import type { SeededRandom } from 'test/support/fuzz/seeded-random.js';

// What the calls may name: set up before generation, so the same seed gives
// the same calls whatever order they finish in.
export interface FuzzPool {
  sessionKeys: string[];
  // Entries each pool session holds at the start (refs up to it are valid).
  entriesPerSession: number;
  handoffIds: string[];
  analysisId: string;
  allowedRoot: string;
  agents: string[];
  // From tools/list, resources/list and resources/templates/list.
  tools: string[];
  resourceUris: string[];
  templates: string[];
}

export type FuzzCall =
  | { kind: 'tool'; name: string; args: unknown }
  | { kind: 'resource'; uri: string }
  | { kind: 'complete'; template: string; argument: string; value: string }
  | { kind: 'rest'; path: string }
  | { kind: 'raw'; body: string };

const ENTRY_TYPES = ['message', 'decision', 'todo', 'code_change', 'file', 'tool_call', 'command', 'error', 'note', 'system'];
const WORDS = ['retry', 'the', 'login', 'test', 'uses', 'PostgreSQL', 'advisory', 'locks', 'é', '\ud83d\ude00', 'src/app.ts', '`code`', '\n'];

type ArgsBuilder = (random: SeededRandom, pool: FuzzPool) => Record<string, unknown>;

// Valid arguments of every tool; the generator mutates them.
const VALID: Record<string, ArgsBuilder> = {
  register_session: (r, p) => ({
    agentId: r.pick(p.agents),
    ...(r.chance(0.5) ? { sessionKey: `fz-${r.int(1e9).toString(36)}` } : {}),
    ...(r.chance(0.5) ? { title: sentence(r) } : {}),
    ...(r.chance(0.3) ? { repository: { root: '/srv/app', branch: 'main', commit: 'a1b2c3d4e5f6', dirtyFiles: ['src/a.ts'] } } : {}),
    ...(r.chance(0.3) ? { metadata: { kind: 'goal', nested: { list: [1, 'two'] } } } : {}),
    ...(r.chance(0.3) ? { tags: ['fuzz', 'team:a'] } : {}),
    ...(r.chance(0.3) ? { ttlSeconds: 3600 } : {}),
  }),
  update_context: (r, p) => ({
    sessionKey: r.pick(p.sessionKeys),
    type: r.pick(ENTRY_TYPES),
    content: sentence(r),
    ...(r.chance(0.5) ? { metadata: r.chance(0.5) ? { refs: [1 + r.int(p.entriesPerSession)], status: r.pick(['done', 'resolved', 'open']) } : { files: ['src/a.ts'], pinned: r.chance(0.5) } } : {}),
    ...(r.chance(0.3) ? { idempotencyKey: `idem-${r.int(20)}` } : {}),
    ...(r.chance(0.5) ? { agentId: r.pick(p.agents) } : {}),
  }),
  get_context: (r, p) => ({ sessionKey: r.pick(p.sessionKeys), ...(r.chance(0.5) ? { afterSequence: r.int(5) } : {}), ...(r.chance(0.5) ? { limit: 1 + r.int(50) } : {}), ...(r.chance(0.3) ? { types: ['note', 'todo'] } : {}) }),
  list_sessions: (r, p) => ({ ...(r.chance(0.3) ? { status: 'active' } : {}), ...(r.chance(0.3) ? { agentId: r.pick(p.agents) } : {}), ...(r.chance(0.5) ? { limit: 1 + r.int(5) } : {}) }),
  analyze_codebase: (r, p) => ({ sessionKey: r.pick(p.sessionKeys), root: p.allowedRoot, analysisType: r.pick(['structure', 'dependencies', 'full']), ...(r.chance(0.3) ? { include: ['**/*.ts'], exclude: ['dist/**'] } : {}), ...(r.chance(0.3) ? { tokenBudget: 500 } : {}) }),
  get_analysis_status: (r, p) => ({ sessionKey: r.pick(p.sessionKeys), ...(r.chance(0.5) ? { analysisId: p.analysisId } : {}) }),
  cancel_analysis: (r, p) => ({ sessionKey: r.pick(p.sessionKeys), analysisId: p.analysisId }),
  request_handoff: (r, p) => ({ sessionKey: r.pick(p.sessionKeys), targetAgent: r.pick(p.agents), type: r.pick(['context_transfer', 'full_handoff']), ...(r.chance(0.5) ? { instructions: sentence(r) } : {}), ...(r.chance(0.5) ? { tokenBudget: 300 + r.int(4000) } : {}) }),
  list_handoffs: (r, p) => ({ agentId: r.pick(p.agents), ...(r.chance(0.3) ? { status: 'pending' } : {}), ...(r.chance(0.3) ? { limit: 1 + r.int(5) } : {}) }),
  accept_handoff: (r, p) => ({ handoffId: r.pick(p.handoffIds), agentId: r.pick(p.agents), ...(r.chance(0.3) ? { repository: { branch: 'main', commit: 'a1b2c3d4e5f6', dirtyFiles: ['src/a.ts'] } } : {}) }),
  reject_handoff: (r, p) => ({ handoffId: r.pick(p.handoffIds), agentId: r.pick(p.agents), reason: sentence(r) }),
  complete_handoff: (r, p) => ({ handoffId: r.pick(p.handoffIds), agentId: r.pick(p.agents), ...(r.chance(0.5) ? { outcome: sentence(r) } : {}) }),
  get_lifecycle_status: () => ({}),
  run_lifecycle_sweep: (r) => ({ waitSeconds: r.int(2) }),
  retry_failed_jobs: (r) => (r.chance(0.5) ? { jobId: `job-${r.int(100)}` } : {}),
  set_legal_hold: (r, p) => ({ sessionKey: r.pick(p.sessionKeys), hold: r.chance(0.5), reason: sentence(r) }),
  list_audit_events: (r) => ({ ...(r.chance(0.5) ? { action: r.pick(['handoff.*', 'legal_hold.set']) } : {}), ...(r.chance(0.3) ? { since: '2026-01-01T00:00:00Z' } : {}), ...(r.chance(0.3) ? { limit: 1 + r.int(5) } : {}) }),
};

// Valid values of URI template variables and query parameters, by name.
function validPart(random: SeededRandom, pool: FuzzPool, name: string): string {
  switch (name) {
    case 'sessionKey':
      return random.pick(pool.sessionKeys);
    case 'agentId':
      return random.pick(pool.agents);
    case 'handoffId':
      return random.pick(pool.handoffIds);
    case 'analysisId':
      return pool.analysisId;
    case 'afterSequence':
    case 'limit':
      return String(random.int(5) + (name === 'limit' ? 1 : 0));
    case 'tokenBudget':
      return String(300 + random.int(3000));
    case 'status':
      return random.pick(['pending', 'accepted', 'rejected']);
    case 'file':
      return 'src/index.ts';
    case 'action':
      return random.pick(['handoff.*', 'legal_hold.set']);
    case 'since':
      return '2026-01-01T00:00:00Z';
    default:
      return 'x';
  }
}

function hostilePart(random: SeededRandom, valid: string): string {
  return random.pick([
    () => percentEncode(hostileString(random, valid)),
    () => hostileString(random, valid),
    () => `${valid}%ZZ`,
    () => '%ED%A0%80',
    () => '99999999999',
    () => '-1',
    () => encodeURIComponent(random.pick(FORGED_CURSORS)),
  ])();
}

// A URI from a template such as handoff://sessions/{sessionKey}/context{?afterSequence,limit}.
function uriFrom(random: SeededRandom, pool: FuzzPool, template: string, hostile: boolean): string {
  const [pathTemplate = '', queryPart] = template.split('{?');
  const path = pathTemplate.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const valid = encodeURIComponent(validPart(random, pool, name));
    return hostile && random.chance(0.5) ? hostilePart(random, valid) : valid;
  });
  const names = queryPart ? queryPart.replace('}', '').split(',') : [];
  const query = names
    .filter(() => random.chance(0.5))
    .map((name) => `${name}=${hostile && random.chance(0.6) ? hostilePart(random, validPart(random, pool, name)) : encodeURIComponent(validPart(random, pool, name))}`);
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}

const RAW_BODIES: ((random: SeededRandom, pool: FuzzPool) => string)[] = [
  () => '{"jsonrpc": "2.0", "id": 1, "method": ',
  () => '[]',
  () => 'null',
  () => '"just a string"',
  (r) => `{"jsonrpc":"2.0","id":${r.int(1000)},"method":"tools/call","params":{"name":"update_context","arguments":{"sessionKey":"x","type":"note","content":"deep","metadata":{"d":${'{"d":'.repeat(5000)}1${'}'.repeat(5000)}}}}}`,
  (r) => `{"jsonrpc":"2.0","id":${r.int(1000)},"method":"tools/call","params":{"name":"list_sessions","arguments":${r.pick(['null', '[]', '"str"', '5', 'true'])}}}`,
  (r) => `{"jsonrpc":"2.0","id":${r.int(1000)},"method":"resources/read","params":{"uri":${r.pick(['5', 'null', '{}', '"handoff://sessions/%ZZ"'])}}}`,
  (r, p) => JSON.stringify({ jsonrpc: '2.0', id: r.int(1000), method: 'tools/call', params: { name: 'update_context', arguments: { sessionKey: r.pick(p.sessionKeys), type: 'note', content: 'raw \u0000 nul' } } }),
  (r) => JSON.stringify({ jsonrpc: '2.0', id: r.int(1000), method: hostileString(r, 'tools/call'), params: {} }),
  (r) => JSON.stringify([{ jsonrpc: '2.0', id: r.int(1000), method: 'tools/list' }, { jsonrpc: '2.0', id: 'x', method: 'tools/call', params: { name: 'nope' } }]),
  (r) => JSON.stringify({ jsonrpc: '2.0', id: r.int(1000), method: 'resources/list', params: { cursor: r.pick([...FORGED_CURSORS, Buffer.from(JSON.stringify({ index: 0, inner: r.pick(FORGED_CURSORS) })).toString('base64url')]) } }),
  (r, p) => JSON.stringify({ jsonrpc: '2.0', id: r.int(1000), method: 'resources/subscribe', params: { uri: `handoff://sessions/${hostileString(r, r.pick(p.sessionKeys))}` } }),
  (r) => JSON.stringify({ jsonrpc: '2.0', id: r.int(1000), method: 'completion/complete', params: { ref: { type: 'ref/resource', uri: hostileString(r, 'handoff://sessions/{sessionKey}') }, argument: { name: 'sessionKey', value: 's' } } }),
];

function restPath(random: SeededRandom, pool: FuzzPool): string {
  const key = encodeURIComponent(random.pick(pool.sessionKeys));
  const hostileKey = () => (random.chance(0.5) ? hostilePart(random, key) : key);
  const q = (name: string, valid: string) => (random.chance(0.5) ? `${name}=${random.chance(0.6) ? hostilePart(random, valid) : valid}` : '');
  const query = (...parts: string[]) => {
    const kept = parts.filter(Boolean);
    return kept.length > 0 ? `?${kept.join('&')}` : '';
  };
  return random.pick([
    () => `/api/sessions${query(q('agentId', 'a'), q('limit', '2'), q('cursor', 'abc'), q('status', 'active'))}`,
    () => `/api/sessions/${hostileKey()}`,
    () => `/api/sessions/${hostileKey()}/context${query(q('afterSequence', '1'), q('limit', '3'), q('types', 'note,todo'))}`,
  ])();
}

// `count` calls across every tool and resource, hostile values mixed with
// valid ones (about a third of tool calls are left valid).
export function generateCalls(random: SeededRandom, pool: FuzzPool, count: number): FuzzCall[] {
  const unknown = pool.tools.filter((tool) => !VALID[tool]);
  if (unknown.length > 0) throw new Error(`the fuzz generator has no valid arguments for ${unknown.join(', ')}: add them to VALID in test/support/fuzz/call-generator.ts`);
  const calls: FuzzCall[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random.next();
    if (roll < 0.62) {
      // Appends are the write path whose acknowledgements are checked: more of them.
      const name = random.chance(0.2) ? 'update_context' : random.pick(pool.tools);
      // Analyses parse code: fewer of them keep the run short.
      if (name === 'analyze_codebase' && random.chance(0.7)) {
        i--;
        continue;
      }
      const valid = (VALID[name] as ArgsBuilder)(random, pool);
      let args: unknown = valid;
      if (random.chance(0.67)) for (let m = 1 + random.int(2); m > 0; m--) args = mutate(random, args);
      calls.push({ kind: 'tool', name: random.chance(0.01) ? hostileString(random, name) : name, args });
    } else if (roll < 0.82) {
      const template = random.pick([...pool.templates, ...pool.resourceUris]);
      calls.push({ kind: 'resource', uri: uriFrom(random, pool, template, random.chance(0.6)) });
    } else if (roll < 0.87) {
      const template = random.pick(pool.templates.filter((t) => /\{(sessionKey|agentId)\}/.test(t)));
      const argument = /\{sessionKey\}/.test(template) ? 'sessionKey' : 'agentId';
      const valid = validPart(random, pool, argument).slice(0, 1 + random.int(4));
      calls.push({ kind: 'complete', template, argument, value: random.chance(0.5) ? hostileString(random, valid) : valid });
    } else if (roll < 0.95) {
      calls.push({ kind: 'rest', path: restPath(random, pool) });
    } else {
      calls.push({ kind: 'raw', body: random.pick(RAW_BODIES)(random, pool) });
    }
  }
  return calls;
}

// encodeURIComponent, but lone surrogates become the bytes a careless
// encoder would send (%ED%A0%80) instead of an exception.
function percentEncode(text: string): string {
  return text.replace(/[\s\S]/gu, (char) => {
    if (char.length === 1 && char >= '\ud800' && char <= '\udfff') {
      const unit = char.charCodeAt(0);
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    }
    return encodeURIComponent(char);
  });
}

function sentence(random: SeededRandom): string {
  return Array.from({ length: 1 + random.int(12) }, () => random.pick(WORDS)).join(' ');
}
