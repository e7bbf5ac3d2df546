import { Command, Option } from 'commander';

import { ApiKeyError } from 'src/features/api-keys/api-keys.errors.js';
import type { ApiKeysService } from 'src/features/api-keys/api-keys.service.js';
import type { ApiKeyRecord, IssuedKey } from 'src/features/api-keys/api-keys.types.js';
import { ROLE_NAMES } from 'src/platform/access/scopes.js';

// The service behind `baton keys`, opened on the database for one command.
export interface KeysSession {
  // BATON_NAMESPACE: where a key goes without --namespace.
  readonly defaultNamespace: string;
  readonly keys: Pick<ApiKeysService, 'create' | 'list' | 'rotate' | 'revoke'>;
  close(): Promise<void>;
}

export interface KeysCommandIo {
  out(text: string): void;
  err(text: string): void;
  // An argument the service refused: the message says what to fix.
  fail(message: string): void;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

// `baton keys create|list|rotate|revoke`: parses arguments, calls the service,
// prints. A new key is printed once, alone on stdout (or in --json).
export function keysCommand(open: () => Promise<KeysSession>, io: KeysCommandIo): Command {
  const keys = new Command('keys').description('create, list, rotate and revoke API keys (Bearer tokens for agents and CI; `baton serve` accepts them with BATON_AUTH_API_KEYS=true)');
  const withKeys = async (work: (session: KeysSession) => Promise<void>): Promise<void> => {
    const session = await open();
    try {
      await work(session);
    } catch (error) {
      if (!(error instanceof ApiKeyError)) throw error;
      io.fail(error.message);
    } finally {
      await session.close();
    }
  };

  keys
    .command('create')
    .description('issue a key; it is printed once and only its hash is stored')
    .requiredOption('--name <name>', 'what the key is for, e.g. ci-deploy')
    .option('--namespace <namespace>', 'namespace the key belongs to (default BATON_NAMESPACE)')
    .option('--agent <agentId>', 'agent id the key may act as (repeat for several)', collect, [])
    .addOption(new Option('--role <role>', 'role granting a bundle of scopes').choices(ROLE_NAMES))
    .option('--scope <scope>', 'a scope granted beside or instead of a role (repeatable)', collect, [])
    .option('--expires-in <duration>', 'lifetime, e.g. 30d, 12h, 2w (default BATON_API_KEY_TTL_SECONDS)')
    .option('--json', 'print the key and its record as JSON')
    .action((options: { name: string; namespace?: string; agent: string[]; role?: string; scope: string[]; expiresIn?: string; json?: boolean }) =>
      withKeys(async ({ keys: service, defaultNamespace }) => {
        const issued = await service.create({ name: options.name, namespace: options.namespace ?? defaultNamespace, agents: options.agent, role: options.role, scopes: options.scope, expiresIn: options.expiresIn });
        printIssued(io, issued, options.json === true, 'Created');
      }),
    );

  keys
    .command('list')
    .description('list keys (never their secrets): id, name, namespace, agents, role, created, expires, last used, revoked')
    .option('--namespace <namespace>', 'only the keys of this namespace')
    .option('--json', 'print JSON')
    .action((options: { namespace?: string; json?: boolean }) =>
      withKeys(async ({ keys: service }) => {
        const records = await service.list(options.namespace);
        io.out(options.json === true ? JSON.stringify(records.map(recordJson), null, 2) : renderTable(records));
      }),
    );

  keys
    .command('rotate')
    .description('issue a new key with the same grants and lifetime, and revoke the old one (at once, or after --grace)')
    .argument('<id>', 'id of the key to replace (from `baton keys list`)')
    .option('--grace <duration>', 'keep the old key working this long beside the new one, e.g. 1h')
    .option('--json', 'print the new key and its record as JSON')
    .action((id: string, options: { grace?: string; json?: boolean }) =>
      withKeys(async ({ keys: service }) => {
        printIssued(io, await service.rotate(id, { grace: options.grace }), options.json === true, `Rotated ${id} into`);
      }),
    );

  keys
    .command('revoke')
    .description('revoke a key; `baton serve` refuses it within BATON_API_KEY_CACHE_SECONDS')
    .argument('<id>', 'id of the key (from `baton keys list`)')
    .option('--json', 'print the revoked key\'s record as JSON')
    .action((id: string, options: { json?: boolean }) =>
      withKeys(async ({ keys: service }) => {
        const record = await service.revoke(id);
        if (options.json === true) io.out(JSON.stringify(recordJson(record), null, 2));
        else io.err(`Revoked API key ${record.id} (${record.name}).`);
      }),
    );

  return keys;
}

function printIssued(io: KeysCommandIo, issued: IssuedKey, json: boolean, verb: string): void {
  if (json) {
    io.out(JSON.stringify({ key: issued.key, ...recordJson(issued.record) }, null, 2));
    return;
  }
  const { record } = issued;
  io.err(`${verb} API key ${record.id} "${record.name}" in namespace ${record.namespace}: ${grantsOf(record)}; acts as ${record.agents.length > 0 ? record.agents.join(', ') : 'no agent'}; expires ${record.expiresAt.toISOString()}.`);
  io.err('Store the key now: it is not shown again. Send it as "Authorization: Bearer <key>".');
  io.out(issued.key);
}

function grantsOf(record: ApiKeyRecord): string {
  return [record.role === null ? undefined : `role ${record.role}`, record.scopes.length > 0 ? `scopes ${record.scopes.join(' ')}` : undefined].filter(Boolean).join(', ');
}

function recordJson(record: ApiKeyRecord): Record<string, unknown> {
  return {
    id: record.id,
    name: record.name,
    namespace: record.namespace,
    agents: record.agents,
    role: record.role,
    scopes: record.scopes,
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
    replacesKeyId: record.replacesKeyId,
  };
}

const COLUMNS = ['ID', 'NAME', 'NAMESPACE', 'AGENTS', 'ROLE', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED'];

function renderTable(records: readonly ApiKeyRecord[]): string {
  if (records.length === 0) return 'No API keys.';
  const time = (at: Date | null): string => (at === null ? '-' : at.toISOString().slice(0, 16).replace('T', ' '));
  const rows = records.map((r) => [r.id, r.name, r.namespace, r.agents.join(',') || '-', grantsOf(r) || '-', time(r.createdAt), time(r.expiresAt), time(r.lastUsedAt), time(r.revokedAt)]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] as string).length)));
  return [COLUMNS, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n');
}
