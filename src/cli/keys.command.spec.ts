import { jest } from '@jest/globals';
import type { Command } from 'commander';

import { keysCommand, type KeysSession } from 'src/cli/keys.command.js';
import { ApiKeyError } from 'src/features/api-keys/api-keys.errors.js';
import type { ApiKeysService } from 'src/features/api-keys/api-keys.service.js';
import type { ApiKeyRecord } from 'src/features/api-keys/api-keys.types.js';

const record: ApiKeyRecord = { id: '0123456789abcdef', name: 'ci', namespace: 'team-a', agents: ['agent-1'], role: 'agent', scopes: [], createdAt: new Date('2026-12-02T10:00:00Z'), expiresAt: new Date('2027-03-02T10:00:00Z'), lastUsedAt: null, revokedAt: null, replacesKeyId: null };
const KEY = `baton_${record.id}_${'A'.repeat(43)}`;

function setup() {
  const keys = {
    create: jest.fn<ApiKeysService['create']>().mockResolvedValue({ key: KEY, record }),
    list: jest.fn<ApiKeysService['list']>().mockResolvedValue([record]),
    rotate: jest.fn<ApiKeysService['rotate']>(),
    revoke: jest.fn<ApiKeysService['revoke']>(),
  };
  const out: string[] = [];
  const err: string[] = [];
  const failures: string[] = [];
  const close = jest.fn<KeysSession['close']>().mockResolvedValue();
  const open = jest.fn<() => Promise<KeysSession>>().mockResolvedValue({ keys, defaultNamespace: 'default', close });
  const command = keysCommand(open, { out: (t) => out.push(t), err: (t) => err.push(t), fail: (m) => failures.push(m) });
  const usage: string[] = [];
  for (const c of [command, ...command.commands]) c.exitOverride().configureOutput({ writeErr: (t) => usage.push(t), writeOut: (t) => usage.push(t) });
  const run = (...args: string[]): Promise<Command> => command.parseAsync(args, { from: 'user' });
  return { keys, out, err, failures, usage, open, close, run };
}

describe('baton keys', () => {
  it('create prints the key alone on stdout, once, and the details on stderr', async () => {
    const { keys, out, err, run, close } = setup();
    await run('create', '--name', 'ci', '--agent', 'agent-1', '--agent', 'agent-2', '--role', 'agent', '--expires-in', '30d');
    expect(keys.create).toHaveBeenCalledWith({ name: 'ci', namespace: 'default', agents: ['agent-1', 'agent-2'], role: 'agent', scopes: [], expiresIn: '30d' });
    expect(out).toEqual([KEY]);
    expect(err.join('\n')).toContain('it is not shown again');
    expect(err.join('\n')).not.toContain(KEY);
    expect(close).toHaveBeenCalled();
  });

  it('create --json prints the key with its record', async () => {
    const { out, run } = setup();
    await run('create', '--name', 'ci', '--namespace', 'team-a', '--scope', 'sessions:read', '--json');
    expect(JSON.parse(out[0] as string)).toEqual(expect.objectContaining({ key: KEY, id: record.id, namespace: 'team-a', expiresAt: '2027-03-02T10:00:00.000Z', lastUsedAt: null }));
  });

  it('refuses an unknown role before touching the database, listing the roles', async () => {
    const { run, usage, open } = setup();
    await expect(run('create', '--name', 'ci', '--role', 'boss')).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(usage.join('')).toContain("argument 'boss' is invalid. Allowed choices are reader, agent, operator, admin");
    expect(open).not.toHaveBeenCalled();
  });

  it('refuses create without --name', async () => {
    const { run, usage, open } = setup();
    await expect(run('create', '--role', 'agent')).rejects.toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
    expect(usage.join('')).toContain("required option '--name <name>' not specified");
    expect(open).not.toHaveBeenCalled();
  });

  it('reports what the service refused (a bad duration, an unknown id) as a failure with its message, printing no key', async () => {
    const { keys, run, failures, out, close } = setup();
    keys.create.mockRejectedValue(ApiKeyError.badDuration('3y'));
    await run('create', '--name', 'ci', '--role', 'agent', '--expires-in', '3y');
    keys.revoke.mockRejectedValue(ApiKeyError.notFound('feedface'));
    await run('revoke', 'feedface');
    expect(failures).toEqual([expect.stringContaining('"3y" is not a duration'), expect.stringContaining('No API key has the id "feedface"')]);
    expect(out).toEqual([]);
    expect(close).toHaveBeenCalledTimes(2);
  });

  it('rotate needs an id and passes the grace period on', async () => {
    const { keys, run, usage, out } = setup();
    await expect(run('rotate')).rejects.toMatchObject({ code: 'commander.missingArgument' });
    expect(usage.join('')).toContain("missing required argument 'id'");
    keys.rotate.mockResolvedValue({ key: KEY, record: { ...record, replacesKeyId: 'feedfacefeedface' } });
    await run('rotate', 'feedfacefeedface', '--grace', '1h');
    expect(keys.rotate).toHaveBeenCalledWith('feedfacefeedface', { grace: '1h' });
    expect(out).toEqual([KEY]);
  });

  it('list shows every column but never a secret', async () => {
    const { run, out, keys } = setup();
    await run('list', '--namespace', 'team-a');
    expect(keys.list).toHaveBeenCalledWith('team-a');
    const [header, row] = (out[0] as string).split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['ID', 'NAME', 'NAMESPACE', 'AGENTS', 'ROLE', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED']);
    expect(row).toContain(record.id);
    expect(row).toContain('2027-03-02 10:00');
    expect(out[0]).not.toContain('baton_');
  });
});
