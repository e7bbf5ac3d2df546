import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import pg from 'pg';

import { isDatabaseOutage, isUniqueViolation } from 'src/platform/database/pg-errors.js';
import { asUnavailable } from 'src/platform/errors/unavailable.error.js';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('isDatabaseOutage', () => {
  it('recognises a refused connection, as pg reports it', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'baton', connectionTimeoutMillis: 1_000 });
    const error = await failureOf(() => client.connect());
    expect(isDatabaseOutage(error)).toBe(true);
    expect(asUnavailable(error)?.dependency).toBe('PostgreSQL');
  });

  it('recognises a pool that could not get a connection in time (a server that never answers)', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'baton', connectionTimeoutMillis: 200 });
    try {
      const error = await failureOf(() => pool.query('SELECT 1'));
      expect(isDatabaseOutage(error)).toBe(true);
    } finally {
      await pool.end();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('recognises a connection the server dropped mid-query', async () => {
    const dropping = createServer((socket) => socket.once('data', () => socket.destroy()));
    const port = await listen(dropping);
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'baton', connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      expect(isDatabaseOutage(await failureOf(() => client.connect()))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => dropping.close(() => resolve()));
    }
  });

  // The shapes Prisma's pg adapter gives these SQLSTATEs and its own codes.
  it.each([
    ['57P01 admin shutdown', { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '57P01', message: 'terminating connection due to administrator command' } }],
    ['57P03 cannot connect now', { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '57P03', message: 'the database system is starting up' } }],
    ['53300 too many connections', { name: 'DriverAdapterError', cause: { kind: 'TooManyConnections', cause: 'sorry, too many clients already' } }],
    ['08006 connection failure', { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '08006' } } } }],
    ['P1001 unreachable', { code: 'P1001', message: "Can't reach database server" }],
    ['P2024 pool timeout', { code: 'P2024', message: 'Timed out fetching a new connection from the connection pool' }],
  ])('recognises %s', (_label, error) => {
    expect(isDatabaseOutage(error)).toBe(true);
  });

  it.each([
    ['53100 from the pg adapter', { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '53100', message: 'could not extend file "base/16384/16397": No space left on device' } }],
    ['a raw query\'s 53100', { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '53100' } } } }],
  ])('tells a full disk (%s) apart from an unreachable server: nothing was stored, and freeing space is the fix', (_label, error) => {
    const unavailable = asUnavailable(error);
    expect(unavailable?.details).toMatchObject({ dependency: 'PostgreSQL', condition: 'disk_full', retryable: true });
    expect(unavailable?.message).toContain('has run out of disk space, so this call stored nothing');
  });

  it.each([
    ['a unique violation', { name: 'DriverAdapterError', cause: { kind: 'UniqueConstraintViolation', originalCode: '23505' } }],
    ['invalid text (NUL)', { name: 'DriverAdapterError', cause: { kind: 'postgres', code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' } }],
    ['an integer out of range', { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '22003' } } } }],
    ['a plain bug', new TypeError('Cannot read properties of undefined')],
  ])('does not take %s for an outage', (_label, error) => {
    expect(isDatabaseOutage(error)).toBe(false);
    expect(asUnavailable(error)).toBeUndefined();
  });

  it('leaves unique violations recognisable', () => {
    expect(isUniqueViolation({ name: 'DriverAdapterError', cause: { kind: 'UniqueConstraintViolation', originalCode: '23505' } })).toBe(true);
    expect(isUniqueViolation({ code: 'P2002' })).toBe(true);
    expect(isUniqueViolation(new Error('boom'))).toBe(false);
  });
});
