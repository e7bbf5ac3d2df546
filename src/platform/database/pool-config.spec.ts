import { poolConfig } from 'src/platform/database/pool-config.js';

describe('poolConfig', () => {
  it('names the host, port and database of the URL beside it, for the pool metrics', () => {
    expect(poolConfig('postgresql://baton:s3cret@db.internal:6432/baton_prod?sslmode=require', { max: 4 })).toEqual({
      max: 4,
      host: 'db.internal',
      port: 6432,
      database: 'baton_prod',
      connectionString: 'postgresql://baton:s3cret@db.internal:6432/baton_prod?sslmode=require',
    });
  });

  it('takes a socket directory given as ?host= and decodes an escaped database name', () => {
    expect(poolConfig('postgresql:///my%20db?host=/run/postgresql')).toMatchObject({ host: '/run/postgresql', port: undefined, database: 'my db' });
  });

  it('strips the brackets of an IPv6 host and leaves out what the URL does not say', () => {
    expect(poolConfig('postgres://[::1]/')).toMatchObject({ host: '::1', port: undefined, database: undefined });
  });

  it('gives pg the URL alone when it is not one the URL parser reads', () => {
    expect(poolConfig('postgresql://user@host:notaport/db')).toEqual({ connectionString: 'postgresql://user@host:notaport/db' });
  });

  it('passes other settings through, as BullMQ\'s PostgreSQL pool settings carry their own', () => {
    expect(poolConfig('postgresql://127.0.0.1:5432/baton', { schema: 'baton_bullmq', migrate: true })).toEqual({
      schema: 'baton_bullmq',
      migrate: true,
      host: '127.0.0.1',
      port: 5432,
      database: 'baton',
      connectionString: 'postgresql://127.0.0.1:5432/baton',
    });
  });

  it('leaves pg to its PG* environment defaults without a URL', () => {
    expect(poolConfig(undefined, { max: 2 })).toEqual({ max: 2 });
  });
});
